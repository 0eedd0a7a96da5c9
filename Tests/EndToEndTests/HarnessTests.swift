import Foundation
import Testing
import VtapTestSupport

/// The oracles themselves, without a kernel: the written-out sequence rules
/// on the contract's own examples, the jitter statistics, the report
/// decoder's strictness.
@Suite struct HarnessTests {
    static func counters(_ numbers: [UInt32], threshold: UInt32 = 2) -> SequenceCounters {
        var reference = SequenceReference(.counter, threshold: threshold)
        for number in numbers { reference.observe(flow: "f", number: number) }
        return reference.counters
    }

    @Test func sequenceReferenceFollowsTheContractExamples() {
        #expect(Self.counters([1, 2, 3, 5]) == .init(count: 4, small: 1, lost: 1))
        #expect(Self.counters([1, 2, 2, 3]) == .init(count: 4, reverse: 1))
        #expect(Self.counters([1, 2, 4, 3, 5]) == .init(count: 5, reverse: 1, small: 2, lost: 2))
        #expect(Self.counters([100, 101, 0, 1]) == .init(count: 4, reverse: 1))
        #expect(Self.counters([0xFFFF_FFFF, 0, 1]) == .init(count: 3))
        #expect(Self.counters([1, 2, 5, 9]) == .init(count: 4, small: 1, big: 1, lost: 5))
        #expect(Self.counters([1, 5], threshold: 3) == .init(count: 2, small: 1, lost: 3))
    }

    @Test func sequenceReferenceKeepsFlowsApartAndSkipsMissing() {
        var reference = SequenceReference(.counter)
        for (flow, number) in [("a", 1), ("b", 100), ("a", 2), ("b", 101), ("a", nil), ("a", 3)] as [(String, UInt32?)]
        {
            reference.observe(flow: flow, number: number)
        }
        #expect(reference.counters == .init(count: 5, missing: 1))
        #expect(reference.last == 3)
    }

    @Test func tcpReferenceAdvancesByPayloadSynAndFin() {
        var reference = SequenceReference(.tcp)
        reference.observe(flow: "t", sequence: 1000, payload: 0, syn: true, fin: false)
        reference.observe(flow: "t", sequence: 1001, payload: 100, syn: false, fin: false)
        reference.observe(flow: "t", sequence: 1101, payload: 0, syn: false, fin: false)  // pure ACK: not checked
        reference.observe(flow: "t", sequence: 1001, payload: 100, syn: false, fin: false)  // retransmission
        reference.observe(flow: "t", sequence: 1201, payload: 10, syn: false, fin: false)  // 100-byte hole
        reference.observe(flow: "t", sequence: 1212, payload: 0, syn: false, fin: true)  // 1-byte hole
        #expect(reference.counters == .init(count: 5, reverse: 1, small: 1, big: 1))
    }

    @Test func interArrivalIsPopulationStatisticsWithoutLongGaps() throws {
        let ms: Int64 = 1_000_000
        let stats = try #require(InterArrival(timesNanoseconds: [0, 10 * ms, 30 * ms, 2_100 * ms, 2_110 * ms]))
        // Gaps 10, 20, (2070 excluded), 10: mean 13.33, population stddev 4.714.
        #expect(stats.samples == 3)
        #expect(abs(stats.meanMilliseconds - 40.0 / 3) < 1e-9)
        #expect(abs(stats.stddevMilliseconds - (200.0 / 9).squareRoot()) < 1e-9)
        #expect(InterArrival(timesNanoseconds: [5]) == nil)
        #expect(CaptureAnalysis.epochNanoseconds("1700000000.000000001") == 1_700_000_000_000_000_001)
        #expect(CaptureAnalysis.epochNanoseconds("1700000000.5") == 1_700_000_000_500_000_000)
    }

    @Test func agreementIsTwoPercentOrTwentyMicroseconds() {
        #expect(Agreement.jitterAgrees(10.19, 10))
        #expect(!Agreement.jitterAgrees(10.21, 10))
        #expect(Agreement.jitterAgrees(0.019, 0))
        #expect(!Agreement.jitterAgrees(0.021, 0))
        #expect(!Agreement.jitterAgrees(nil, 0))
    }

    static let metrics = """
        "packets":1,"bytes":60,"payload_bytes":1,"pps":1.0,"throughput":60.0,"goodput":1.0,\
        "jitter_mean_ms":null,"jitter_stddev_ms":null,"seq_last":null,"seq_count":0,"seq_reverse":0,\
        "seq_small":0,"seq_big":0,"seq_total":0,"seq_lost":0,"seq_missing":0
        """

    static func line(protocols: [String] = ProtocolName.all, metrics: String = metrics, summary: Bool = false) -> String
    {
        let classes = protocols.map { "\"\($0)\":{\(metrics)}" }.joined(separator: ",")
        return """
            {"time":"2026-11-22T04:38:22.370Z","interfaces":["v"],"interval_s":1.0,"throughput_unit":"B/s",\
            "protocols":{\(classes)},"rules":[{"index":0,"name":null,"label":"1",\(metrics)}],\
            "unmatched":{"packets":0,"bytes":0},"malformed":{"packets":0,"bytes":0},\
            "flow_table":{"held":0,"started":0,"evicted":0,"view_held":0,"view_started":0,"view_evicted":0},\
            "summary":\(summary)}
            """
    }

    @Test func reportDecodingIsStrict() throws {
        let output = try VtapOutput(parsing: Self.line() + "\n" + Self.line(summary: true) + "\n")
        #expect(output.intervals.count == 1)
        #expect(try output.summary().rules[0].name == nil)
        #expect(try output.summary().udp.payloadBytes == 1)
        #expect(try output.summary().time == VtapReport.parseTime("2026-11-22T04:38:22.37Z"))
        // A missing protocol class, a missing key, a null count: errors that name the key.
        #expect(throws: ReportError.self) { try VtapOutput(parsing: Self.line(protocols: ["tcp", "udp", "icmp"])) }
        let noPayload = Self.metrics.replacingOccurrences(of: "\"payload_bytes\":1,", with: "")
        let missing = #expect(throws: ReportError.self) { try VtapOutput(parsing: Self.line(metrics: noPayload)) }
        #expect(missing?.description.contains("payload_bytes") == true, "\(String(describing: missing))")
        let noJitterKey = Self.metrics.replacingOccurrences(of: "\"jitter_mean_ms\":null,", with: "")
        #expect(throws: ReportError.self) { try VtapOutput(parsing: Self.line(metrics: noJitterKey)) }
        let nullCount = Self.metrics.replacingOccurrences(of: "\"seq_count\":0", with: "\"seq_count\":null")
        #expect(throws: ReportError.self) { try VtapOutput(parsing: Self.line(metrics: nullCount)) }
        // No summary, or one that is not last.
        #expect(throws: ReportError.self) { try VtapOutput(parsing: Self.line()).summary() }
        #expect(throws: ReportError.self) {
            try VtapOutput(parsing: Self.line(summary: true) + "\n" + Self.line()).summary()
        }
    }

    @Test func pcapRecordsAreCountedWhole() throws {
        var writer = PcapWriter()
        writer.append([UInt8](repeating: 1, count: 60), timestampNanoseconds: 1)
        writer.append([UInt8](repeating: 2, count: 100), timestampNanoseconds: 2)
        let directory = try TemporaryDirectory(prefix: "vtap-e2e-harness")
        let file = directory.file("x.pcap")
        try Data(writer.data.dropLast(10)).write(to: file)
        #expect(PcapRecords.count(in: file) == 1, "a half-written record is not counted")
        try writer.write(to: file)
        #expect(PcapRecords.count(in: file) == 2)
    }

    @Test func craftedSequenceCasesAgreeWithTheWrittenOutRules() throws {
        let endpoints = LabEndpoints(
            senderMAC: .sender, receiverMAC: .receiver, senderAddress: "10.213.0.1", receiverAddress: "10.213.0.2")
        for sequenceCase in SequenceScenario(endpoints).cases {
            #expect(SequenceScenario.reference(for: sequenceCase) == sequenceCase.expected, "\(sequenceCase.name)")
        }
    }
}
