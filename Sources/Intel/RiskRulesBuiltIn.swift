extension RiskRules {
    /// Assets/risk-rules.json, verbatim (RiskRulesTests keeps the two identical).
    public static let builtInText = #"""
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
  ],
  "iot": {
    "about": "Rules for the outbound traffic of IoT-class devices (cameras, media, printers, hubs, sensors and unclassified devices; see `netscouter iot anomalies`). Same matching as above: keywords are whole words of the provider / AS name. A destination not seen while the device's baseline was learning (learning_window_hours from its first outbound flow; `netscouter iot reset-baseline` starts again) is reported with new_destination. Severity is low, medium or high.",
    "learning_window_hours": 24,
    "countries": [
      { "code": "KP", "severity": "high", "reason": "An IoT device talks to North Korea: sanctioned country, no legitimate cloud service there." },
      { "code": "IR", "severity": "high", "reason": "An IoT device talks to Iran: sanctioned country; check that it is expected." }
    ],
    "keywords": [
      { "word": "tor", "severity": "high", "reason": "An IoT device talks to a network named after Tor: possibly a relay or exit node, used to hide command and control." },
      { "word": "vpn", "severity": "medium", "reason": "An IoT device talks to a VPN provider: the real peer is hidden behind it." },
      { "word": "proxy", "severity": "medium", "reason": "An IoT device talks to a proxy provider: the real peer is hidden behind it." },
      { "word": "bulletproof", "severity": "high", "reason": "\"Bulletproof\" hosting ignores abuse reports and is favoured by botnet operators." },
      { "word": "hosting", "severity": "low", "reason": "An IoT device talks to a hosting provider rather than its maker's cloud: worth a look." },
      { "word": "vps", "severity": "low", "reason": "An IoT device talks to a rented virtual server rather than its maker's cloud: worth a look." }
    ],
    "ports": [
      { "port": 23, "severity": "high", "reason": "Telnet (23) from an IoT device: clear-text logins, the classic Mirai infection and spreading port." },
      { "port": 2323, "severity": "high", "reason": "Alternative Telnet port (2323): used by Mirai-style botnets to spread." },
      { "port": 4444, "severity": "high", "reason": "Port 4444 is Metasploit's default listener: typical of a reverse shell." },
      { "port": 5555, "severity": "high", "reason": "Port 5555 is Android Debug Bridge: ADB worms spread over it." },
      { "port": 6667, "severity": "high", "reason": "IRC (6667) from an IoT device: botnets still use it for command and control." }
    ],
    "new_destination": { "severity": "low", "reason": "A destination this device never contacted during its learning window." },
    "consensus": { "minimum_flagged": 1, "severity": "high", "reason": "Reputation providers flag this destination." }
  }
}
"""#
}
