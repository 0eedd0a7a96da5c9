import Testing
import VtapDiagnostics
import VtapRuleModel
import VtapSema
import VtapTestSupport

@Suite struct ProtocolFieldTests {
    private func protocols(_ field: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws
        -> ProtocolMatch
    {
        try checkedRule(#""- - - - \#(field)""#, sourceLocation: sourceLocation).protocols
    }

    private func only(_ numbers: UInt8...) -> ProtocolMatch {
        ProtocolMatch(numbers: IntervalSet(numbers.map { IntervalSet.Interval($0, $0) }))
    }

    @Test func namesInAnyCaseAndNumbers() throws {
        #expect(try protocols("tcp") == only(6))
        #expect(try protocols("Udp") == only(17))
        #expect(try protocols("ICMPv6") == only(58))
        #expect(try protocols("ipv6-icmp") == only(58))
        #expect(try protocols("[sctp, UDPLITE, gre, esp, ah, igmp, icmp]") == only(132, 136, 47, 50, 51, 2, 1))
        #expect(try protocols("[0, 255, 047]") == only(0, 255, 47))
        #expect(try protocols("-") == .any)
    }

    @Test func listWithSpacesParses() throws {
        #expect(try protocols("[TCP, UDP]") == only(6, 17))
        #expect(try protocols("[ TCP ,UDP ]") == only(6, 17))
    }

    @Test func negationComplementsWithinAllProtocolNumbers() throws {
        let match = try protocols("!TCP")
        #expect(match.numbers == IntervalSet([.init(0, 5), .init(7, 255)]))
        #expect(try protocols("![0, 1]").numbers == IntervalSet(2, 255))
    }

    @Test func unknownNameSuggestsACloseOne() {
        let diagnostic = expectOnly(.protocolUnknown, in: #""- - - - [UDP, ‸TPC]""#)
        #expect(diagnostic?.message == "unknown protocol 'TPC'")
        #expect(diagnostic?.notes.map(\.message) == ["did you mean 'TCP'?"])
        #expect(expectOnly(.protocolUnknown, in: #""- - - - ‸upd""#)?.notes.first?.message == "did you mean 'UDP'?")
    }

    @Test func unknownNameWithoutCloseMatchListsTheNames() {
        let diagnostic = expectOnly(.protocolUnknown, in: #""- - - - ‸quic""#)
        #expect(diagnostic?.notes.first?.message.hasPrefix("known names are TCP, UDP, ICMP") == true)
    }

    @Test func numbersAboveAByteAreRejected() {
        _ = expectOnly(.protocolOutOfRange, in: #""- - - - ‸256""#)
        _ = expectOnly(.protocolOutOfRange, in: #"{"proto": [6, ‸1000]}"#)
    }

    @Test func negatingEveryProtocolIsAnError() {
        let all = (0...255).map(String.init).joined(separator: ",")
        _ = expectOnly(.fieldEmpty, in: #""- - - - ‸![\#(all)]""#)
    }
}
