import Testing

/// End-to-end tests: vtap on a real kernel with real traffic, checked
/// against tcpdump/tshark/iperf3 and the crafted bytes themselves. Each
/// test builds its own lab (two namespaces joined by a veth pair, IPv6
/// off), sends with trafgen or iperf3, and runs vtap on the receiving end.
///
/// Serialized: the rate and jitter checks should not share two cores with
/// an iperf3 transfer of the next test.
@Suite(.serialized) struct EndToEnd {}
