import Testing
import VtapDiagnostics
import VtapRuleModel
import VtapSema
import VtapTestSupport

@Suite struct CrossFieldTests {
    @Test func portsWithAPortlessProtocolAreAnError() throws {
        let input = Marked(file(rules: #""- - ‸80 - ‸ICMP""#))
        let result = check(input)
        #expect(result.ids == [.portsWithoutProtocolPorts])
        let error = try #require(result.errors.first)
        #expect(error.message == "ports given for ICMP, which carries no ports")
        #expect(error.range?.start == input.offsets[0])
        #expect(error.notes.first?.range?.start == input.offsets[1])
    }

    @Test func mixedProtocolSetsNameThePortlessOnes() {
        #expect(
            expectOnly(.portsWithoutProtocolPorts, in: #""- - - ‸80 [TCP, GRE, 99]""#)?.message
                == "ports given for GRE and protocol 99, which carry no ports")
        #expect(
            expectOnly(.portsWithoutProtocolPorts, in: #""- - - ‸[22] !TCP""#)?.message
                == "ports given for protocol 0, ICMP, IGMP and 249 more, which carry no ports")
    }

    @Test func portsWithAnyOrPortCarryingProtocolsAreFine() throws {
        #expect(try checkedRule(#""- - - 80 -""#).destinationPort == .ports(IntervalSet(80, 80)))
        #expect(try checkedRule(#""- - 1-2 80 [TCP, UDP, SCTP, UDPLite]""#).protocols.numbers.intervals.count == 4)
        #expect(try checkedRule(#""- - - - ICMP""#).protocols.numbers == IntervalSet(1, 1))
    }

    @Test func sourceAndDestinationWithoutACommonFamilyNeverMatch() throws {
        let input = Marked(file(rules: #""‸10.0.0.1 ‸::1 - - -""#))
        let result = check(input)
        #expect(result.ids == [.addressFamilyMismatch])
        let error = try #require(result.errors.first)
        #expect(error.range?.start == input.offsets[1])
        #expect(error.notes.first?.range?.start == input.offsets[0])
        #expect(
            error.message
                == "source '10.0.0.1' is IPv4 only and destination '::1' is IPv6 only; the rule can never match")
        _ = expectOnly(.addressFamilyMismatch, in: #""!::/0 ‸2001:db8::/32 - - -""#)
    }

    @Test func sharingOneFamilyIsEnough() throws {
        let rule = try checkedRule(#""10.0.0.1 [::1, 10.0.0.2] - - -""#)
        #expect(rule.destinationAddress.v6.contains(1))
        _ = try checkedRule(#""- ::1 - - -""#)
    }

    @Test func allProblemsOfOneRuleAreReported() {
        let result = check(file(rules: #""1.2.3 ::/200 http 90-80 TPC""#))
        #expect(result.ids == [.addressInvalid, .prefixInvalid, .portInvalid, .portRangeInverted, .protocolUnknown])
    }
}
