import Testing

/// Tests that run a server on loopback, one at a time: on a machine with
/// two cores, 200 scrapers of the load test running beside a timing check
/// would make that check about the machine instead of the server.
@Suite(.serialized) enum LoopbackServerTests {}
