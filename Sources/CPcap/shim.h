#ifndef NETSCOUTER_CPCAP_SHIM_H
#define NETSCOUTER_CPCAP_SHIM_H
// libpcap for Swift, plus poll() so the capture thread can wait on the selectable fd with its own
// deadline (libpcap 1.10.3's timeout may never fire on an idle interface).
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <netpacket/packet.h>

// PCAP_ERRBUF_SIZE is a plain #define and imports, but keep the name obvious for callers.
static inline int ns_pcap_errbuf_size(void) { return PCAP_ERRBUF_SIZE; }
#endif
