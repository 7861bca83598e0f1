extension RiskRules {
    /// Assets/risk-rules.json, verbatim (RiskRulesTests keeps the two identical).
    static let builtInText = #"""
{
  "version": 1,
  "about": "NetScouter risk rules. Copy this file to ~/.config/netscouter/risk-rules.json (or $XDG_CONFIG_HOME/netscouter/) and edit it to override. Keywords match whole words of the provider / AS name, case-insensitively: \"tor\" matches \"Tor exit\" but not \"Toronto\" or \"Storage\". Every hit shows its reason text.",
  "countries": [
    { "code": "KP", "reason": "Traffic with North Korea: sanctioned country, rarely legitimate for most networks." },
    { "code": "IR", "reason": "Traffic with Iran: sanctioned country; check that it is expected." }
  ],
  "keywords": [
    { "word": "tor", "reason": "The network's name mentions Tor: possibly a Tor relay or exit node." },
    { "word": "vpn", "reason": "The network's name mentions a VPN: the real peer is hidden behind it." },
    { "word": "proxy", "reason": "The network's name mentions a proxy: the real peer is hidden behind it." },
    { "word": "bulletproof", "reason": "\"Bulletproof\" hosting ignores abuse reports and is favoured by attackers." },
    { "word": "anonymous", "reason": "The network advertises anonymity." }
  ],
  "ports": [
    { "port": 23, "reason": "Telnet (23) sends passwords in clear text and is a favourite of IoT botnets." },
    { "port": 2323, "reason": "Alternative Telnet port (2323), scanned by Mirai-style botnets." },
    { "port": 445, "reason": "SMB (445) exposed to or from the internet: ransomware and worm vector." },
    { "port": 3389, "reason": "Remote Desktop (3389) over the internet is brute-forced constantly." },
    { "port": 4444, "reason": "Port 4444 is Metasploit's default listener." },
    { "port": 6667, "reason": "IRC (6667) is still used by botnets for command and control." },
    { "port": 9001, "reason": "Port 9001 is Tor's default relay port." },
    { "port": 9050, "reason": "Port 9050 is Tor's default SOCKS port." }
  ],
  "location_flags": [
    { "flag": "anonymous-proxy", "reason": "The location database lists the network as an anonymous proxy." },
    { "flag": "drop", "reason": "The network is on Spamhaus' DROP list (hijacked or criminal address space)." }
  ]
}
"""#
}
