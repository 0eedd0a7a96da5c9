import Testing
import VtapMetrics

/// Segments into connections: grouping, sides, relative numbers, closes.
@Suite struct TCPConnectionTrackerTests {
    static let client = TCPSegment.Endpoint("192.0.2.1", 40000)
    static let server = TCPSegment.Endpoint("198.51.100.7", 443)

    /// A segment from `from` at `time` ms, with tcpdump's flag letters.
    static func segment(
        _ time: Int64, _ from: TCPSegment.Endpoint, _ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, length: Int = 0,
        direction: TCPSegment.Direction? = nil
    ) -> TCPSegment {
        TCPSegment(
            nanoseconds: time * 1_000_000, rule: 0,
            direction: direction ?? (from == client ? .sent : .received), ipVersion: 4, source: from,
            destination: from == client ? server : client, sequence: seq, acknowledgement: ack, flags: flags,
            window: 500, headerLength: 20, payloadLength: length)
    }

    /// A whole connection near the top of the sequence space, so every
    /// relative number wraps: handshake, data both ways, a retransmission,
    /// FINs from both sides and the last ACK.
    static func exchange(direction: TCPSegment.Direction? = nil) -> [TCPSegment] {
        let c: UInt32 = 0xFFFF_FFF0
        let s: UInt32 = 1000
        return [
            segment(0, client, .syn, seq: c, direction: direction),
            segment(1, server, [.syn, .ack], seq: s, ack: c &+ 1, direction: direction),
            segment(2, client, .ack, seq: c &+ 1, ack: s + 1, direction: direction),
            segment(3, client, [.psh, .ack], seq: c &+ 1, ack: s + 1, length: 100, direction: direction),
            segment(4, client, [.psh, .ack], seq: c &+ 1, ack: s + 1, length: 100, direction: direction),
            segment(5, server, [.psh, .ack], seq: s + 1, ack: c &+ 101, length: 50, direction: direction),
            segment(6, client, [.fin, .ack], seq: c &+ 101, ack: s + 51, direction: direction),
            segment(7, server, [.fin, .ack], seq: s + 51, ack: c &+ 102, direction: direction),
            segment(8, client, .ack, seq: c &+ 102, ack: s + 52, direction: direction),
        ]
    }

    @Test func oneConnectionWithTcpdumpsRelativeNumbersAndAFinClose() throws {
        var tracker = TCPConnectionTracker()
        Self.exchange().forEach { tracker.add($0) }
        let traces = tracker.finish()
        #expect(traces.count == 1)
        let trace = try #require(traces.first)
        #expect(trace.vantage == .client)
        #expect(trace.initiator == Self.client && trace.responder == Self.server)
        let kinds = trace.events.map(\.kind)
        #expect(kinds.first == .connectionStarted)
        #expect(kinds.last == .connectionClosed(.fin))
        let packets = trace.events.filter { $0.segment != nil }
        #expect(packets.count == 9)
        #expect(packets.map(\.kind).filter { $0 == .packetSent }.count == 6)
        // As tcpdump prints them: 0, 0, 1, 1:101, 1:101 again, 1:51, 101, 51, 102.
        #expect(packets.map(\.relativeSequence) == [0, 0, 1, 1, 1, 1, 101, 51, 102])
        #expect(packets.map(\.relativeAcknowledgement) == [nil, 1, 1, 1, 1, 101, 51, 102, 52])
        #expect(packets.map(\.retransmission) == [false, false, false, false, true, false, false, false, false])
        #expect(packets.map(\.firstOfSide) == [true, true, false, false, false, false, false, false, false])
        // The close comes with the last ACK, not with the second FIN.
        #expect(trace.events.last?.nanoseconds == 8_000_000)
    }

    @Test func aCaptureIsReadFromTheSideAsked() throws {
        for vantage in TCPConnectionTracker.CaptureVantage.allCases {
            var tracker = TCPConnectionTracker(captureVantage: vantage)
            Self.exchange(direction: .unknown).forEach { tracker.add($0) }
            let trace = try #require(tracker.finish().first)
            #expect(trace.vantage.rawValue == vantage.rawValue)
            let firstSent = trace.events.first { $0.kind == .packetSent }?.segment?.source
            #expect(firstSent == (vantage == .client ? Self.client : Self.server))
        }
    }

    @Test func aResetClosesAndASynAfterTheCloseStartsANewTrace() throws {
        var tracker = TCPConnectionTracker()
        tracker.add(Self.segment(0, Self.client, .syn, seq: 10))
        tracker.add(Self.segment(1, Self.server, [.rst, .ack], seq: 0, ack: 11))
        tracker.add(Self.segment(2, Self.client, .syn, seq: 5000))
        tracker.add(Self.segment(3, Self.server, [.syn, .ack], seq: 9, ack: 5001))
        let traces = tracker.finish()
        #expect(traces.count == 2)
        #expect(traces[0].events.last?.kind == .connectionClosed(.reset))
        #expect(traces[1].events.filter { $0.segment != nil }.count == 2)
        #expect(traces[0].groupID != traces[1].groupID)
        #expect(!traces[1].closed)
    }

    /// A socket's state changes join its connection's trace: the one
    /// before the SYN waits for it; the other end's (same host) do not.
    @Test func stateChangesJoinTheirSidesTrace() throws {
        var tracker = TCPConnectionTracker()
        func change(_ ms: Int64, _ local: TCPSegment.Endpoint, _ old: String, _ new: String) {
            let remote = local == Self.client ? Self.server : Self.client
            tracker.add(
                TCPConnectionTracker.StateChange(
                    nanoseconds: ms * 1_000_000 - 500_000, local: local, remote: remote, old: old, new: new))
        }
        change(0, Self.client, "CLOSE", "SYN_SENT")
        tracker.add(Self.segment(0, Self.client, .syn, seq: 1))
        change(1, Self.server, "LISTEN", "SYN_RECV")
        tracker.add(Self.segment(1, Self.server, [.syn, .ack], seq: 9, ack: 2))
        change(2, Self.client, "SYN_SENT", "ESTABLISHED")
        let trace = try #require(tracker.finish().first)
        let states = trace.events.compactMap { event -> String? in
            if case .stateUpdated(let old, let new) = event.kind { "\(old)>\(new)" } else { nil }
        }
        #expect(states == ["CLOSE>SYN_SENT", "SYN_SENT>ESTABLISHED"])
        #expect(trace.events.first?.nanoseconds == -500_000, "the start moves to the first state change")
    }

    @Test func anIdleConnectionIsClosedAsTimedOut() throws {
        var tracker = TCPConnectionTracker()
        Self.exchange().prefix(4).forEach { tracker.add($0) }
        #expect(
            tracker.takeFinished(now: 50_000_000, quietNanoseconds: 10_000_000, idleNanoseconds: 100_000_000).isEmpty)
        let finished = tracker.takeFinished(
            now: 200_000_000, quietNanoseconds: 10_000_000, idleNanoseconds: 100_000_000)
        #expect(finished.count == 1)
        #expect(finished.first?.events.last?.kind == .connectionClosed(.timeout))
        #expect(finished.first?.events.last?.nanoseconds == 200_000_000)
        #expect(tracker.finish().isEmpty)
    }

    @Test func closedConnectionsAreHandedOutOnceQuiet() {
        var tracker = TCPConnectionTracker()
        Self.exchange().forEach { tracker.add($0) }
        #expect(tracker.takeFinished(now: 9_000_000, quietNanoseconds: 10_000_000).isEmpty)
        #expect(tracker.takeFinished(now: 18_000_000, quietNanoseconds: 10_000_000).count == 1)
        #expect(tracker.finish().isEmpty)
    }

    @Test func optionsByKind() {
        let bytes: [UInt8] = [
            2, 4, 0x05, 0xb4,  // mss 1460
            4, 2,  // sackOK
            8, 10, 0, 0, 0, 1, 0, 0, 0, 2,  // TS 1, 2
            1,  // nop
            3, 3, 7,  // wscale 7
            30, 4, 0x01, 0x81,  // MPTCP MP_CAPABLE v1
            5, 10, 0, 0, 0, 10, 0, 0, 0, 20,  // SACK 10-20
            0,  // end of list
        ]
        #expect(
            TCPOption.parse(bytes) == [
                .maximumSegmentSize(1460), .sackPermitted, .timestamp(value: 1, echo: 2), .noOperation,
                .windowScale(7), .mptcp(.capable, version: 1), .sack([(10, 20)]), .endOfList,
            ])
        // DSS: an 8-byte data ACK, a 4-byte mapping and DATA_FIN; then
        // one whose flags ask for more than it holds.
        let dss: [UInt8] = [30, 22, 0x20, 0x17] + [0, 0, 0, 1, 0, 0, 0, 2] + [0, 0, 0, 3] + [0, 0, 0, 4] + [0, 5]
        #expect(
            TCPOption.parse(dss) == [
                .dataSequence(
                    DataSequenceSignal(
                        dataAcknowledgement: 0x1_0000_0002, dataSequence: 3, subflowSequence: 4, dataLevelLength: 5,
                        dataFin: true))
            ])
        #expect(TCPOption.parse([30, 4, 0x20, 0x01]) == [.mptcp(.dss, version: nil)])
        // A length past the end stops the walk, and says so.
        #expect(TCPOption.parse([1, 2, 9, 0]) == [.noOperation, .malformed(kind: 2)])
        #expect(TCPOption.parse([8, 1]) == [.malformed(kind: 8)])
    }
}
