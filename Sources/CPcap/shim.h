// libpcap from Debian's libpcap-dev: reads pcap and pcapng captures.
#include <pcap/pcap.h>
