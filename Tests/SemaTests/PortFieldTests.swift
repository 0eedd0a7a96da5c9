import Testing
import VtapDiagnostics
import VtapRuleModel
import VtapSema
import VtapTestSupport

@Suite struct PortFieldTests {
    private func destinationPort(_ field: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws
        -> PortMatch
    {
        try checkedRule(#""- - - \#(field) -""#, sourceLocation: sourceLocation).destinationPort
    }

    @Test func portsRangesAndLists() throws {
        #expect(try destinationPort("80") == .ports(IntervalSet(80, 80)))
        #expect(try destinationPort("080") == .ports(IntervalSet(80, 80)))
        #expect(try destinationPort("8000-8080") == .ports(IntervalSet(8000, 8080)))
        #expect(try destinationPort("0-65535") == .ports(.full))
        #expect(try destinationPort("7-7") == .ports(IntervalSet(7, 7)))
        #expect(try destinationPort("[ 443 , 80, 81-90 ]") == .ports(IntervalSet([.init(80, 90), .init(443, 443)])))
        #expect(try destinationPort("-") == .any)
    }

    @Test func negationComplementsWithinThePortRange() throws {
        #expect(try destinationPort("!80") == .ports(IntervalSet([.init(0, 79), .init(81, 65535)])))
        #expect(try destinationPort("![0-1023, 65535]") == .ports(IntervalSet(1024, 65534)))
    }

    @Test func anyPortDiffersFromTheFullRange() throws {
        // "-" also matches packets without ports; 0-65535 only those with.
        #expect(try destinationPort("-").matches(nil))
        #expect(try !destinationPort("0-65535").matches(nil))
    }

    static let errorCases: [(field: String, id: DiagnosticID)] = [
        ("‸http", .portInvalid),
        ("‸-1", .portInvalid),
        ("‸80-", .portInvalid),
        ("‸80-90-100", .portInvalid),
        ("‸8O", .portInvalid),
        ("‸70000", .portOutOfRange),
        ("80-‸70000", .portOutOfRange),
        ("‸99999999999999999999999", .portOutOfRange),
        ("‸90-80", .portRangeInverted),
        ("‸!0-65535", .fieldEmpty),
        ("‸![0-100, 101-65535]", .fieldEmpty),
    ]

    @Test(arguments: errorCases)
    func reportsBadPorts(_ testCase: (field: String, id: DiagnosticID)) {
        _ = expectOnly(testCase.id, in: #""- - - \#(testCase.field) -""#)
    }

    @Test func messagesNameTheOffendingText() {
        #expect(
            expectOnly(.portRangeInverted, in: #""- - ‸90-80 - -""#)?.message
                == "port range '90-80' is inverted; write 80-90")
        #expect(
            expectOnly(.portOutOfRange, in: #""- - 1-‸65536 - -""#)?.message
                == "port 65536 is out of range; ports are 0 to 65535")
    }

    @Test func objectFormTakesNumbersAndArrays() throws {
        let rule = try checkedRule(#"{"sport": 53, "dport": [80, "8000-8080", 443]}"#)
        #expect(rule.sourcePort == .ports(IntervalSet(53, 53)))
        #expect(rule.destinationPort == .ports(IntervalSet([.init(80, 80), .init(443, 443), .init(8000, 8080)])))
        _ = expectOnly(.portInvalid, in: #"{"dport": ‸-1}"#)
        _ = expectOnly(.portInvalid, in: #"{"dport": ‸8.5}"#)
        _ = expectOnly(.portOutOfRange, in: #"{"dport": [80, ‸65536]}"#)
    }
}
