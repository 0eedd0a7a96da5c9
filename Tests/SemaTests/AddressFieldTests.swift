import Testing
import VtapDiagnostics
import VtapRuleModel
import VtapSema
import VtapTestSupport

@Suite struct AddressFieldTests {
    private func source(_ field: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws
        -> AddressMatch
    {
        try checkedRule(#""\#(field) - - - -""#, sourceLocation: sourceLocation).sourceAddress
    }

    @Test func hostAndPrefix() throws {
        #expect(try source("10.1.2.3") == AddressMatch(v4: v4((ipv4(10, 1, 2, 3), ipv4(10, 1, 2, 3))), v6: .empty))
        #expect(
            try source("10.0.0.0/8") == AddressMatch(v4: v4((ipv4(10, 0, 0, 0), ipv4(10, 255, 255, 255))), v6: .empty))
        #expect(try source("0.0.0.0/0") == AddressMatch(v4: .full, v6: .empty))
        #expect(try source("255.255.255.255/32").v4 == v4((UInt32.max, UInt32.max)))
        #expect(try source("::/0") == AddressMatch(v4: .empty, v6: .full))
        #expect(try source("-") == .any)
    }

    @Test func negationComplementsOverBothFamilies() throws {
        let match = try source("!10.0.0.0/8")
        #expect(match.v4 == v4((0, ipv4(9, 255, 255, 255)), (ipv4(11, 0, 0, 0), UInt32.max)))
        #expect(match.v6.isFull)
        #expect(!match.contains(.v4(ipv4(10, 20, 30, 40))))
        #expect(match.contains(.v4(ipv4(192, 168, 0, 1))))
        #expect(match.contains(.v6(1)))
    }

    @Test func listsMixFamiliesAndMerge() throws {
        let match = try source("[10.0.0.1, ::1, 10.0.0.0/31, 2001:db8::/32]")
        #expect(match.v4 == v4((ipv4(10, 0, 0, 0), ipv4(10, 0, 0, 1))))
        #expect(match.v6.intervals.count == 2)
        #expect(match.v6.contains(1))
        #expect(match.v6.contains(UInt128(0x2001_0db8) << 96 | 0xFFFF))
        let negated = try source("![10.0.0.0/8, ::/0]")
        #expect(negated.v6.isEmpty)
        #expect(negated.v4.intervals.count == 2)
    }

    static let ipv6Cases: [(text: String, value: UInt128)] = [
        ("::", 0),
        ("::1", 1),
        ("1::", 1 << 112),
        ("1::8", 1 << 112 | 8),
        ("2001:db8::1", UInt128(0x2001_0db8) << 96 | 1),
        ("2001:DB8:0:0:0:0:0:1", UInt128(0x2001_0db8) << 96 | 1),
        ("1:2:3:4:5:6:7:8", 0x0001_0002_0003_0004_0005_0006_0007_0008),
        ("1:2:3:4:5:6:7::", 0x0001_0002_0003_0004_0005_0006_0007_0000),
        ("::2:3:4:5:6:7:8", 0x0000_0002_0003_0004_0005_0006_0007_0008),
        ("fe80::abcd:ef01", UInt128(0xfe80) << 112 | 0xabcd_ef01),
        ("::ffff:1.2.3.4", 0xffff_0102_0304),
        ("64:ff9b::192.0.2.33", UInt128(0x0064_ff9b) << 96 | 0xc000_0221),
        ("1:2:3:4:5:6:1.2.3.4", 0x0001_0002_0003_0004_0005_0006_0102_0304),
        ("::0.0.0.1", 1),
        ("1::2:3:4:5:6:7", 0x0001_0000_0002_0003_0004_0005_0006_0007),
        ("ffff:FFFF::", UInt128(0xffff_ffff) << 96),
    ]

    @Test(arguments: ipv6Cases)
    func parsesIPv6TextForms(_ testCase: (text: String, value: UInt128)) throws {
        let match = try source(testCase.text)
        #expect(match.v6 == IntervalSet(testCase.value, testCase.value))
        #expect(match.v4.isEmpty)
    }

    static let invalidAddresses = [
        "‸1.2.3", "‸1.2.3.4.5", "‸256.0.0.1", "‸01.2.3.4", "‸+1.2.3.4", "‸1.2.3.-4", "‸1..2.3",
        "‸example.com", "‸::1::2", "‸1:2:3:4:5:6:7:8:9", "‸12345::", "‸g::", "‸1:2:3:4:5:6:7", "‸fe80::1%eth0",
        "‸1.2.3.4::", "‸:1::", "‸1:", "‸::1.2.3", "‸1:2:3:4:5:6:7:1.2.3.4", "‸1.2.3.4:5::", "‸:::", "‸١.٢.٣.٤",
        "‸1:2:3:4:5:6:7:8::",
        "‸1:2:3:4::5:6:7:8", "‸::1.2.3.4:5", "‸1::2:", "‸::ffff:1.2.3.256",
    ]

    @Test(arguments: invalidAddresses)
    func rejectsInvalidAddresses(_ field: String) {
        _ = expectOnly(.addressInvalid, in: #""\#(field) - - - -""#)
    }

    @Test func addressErrorsNameTheReason() {
        let diagnostic = expectOnly(.addressInvalid, in: #""- ‸300.1.1.1 - - -""#)
        #expect(diagnostic?.message == "'300.1.1.1' is not a valid address: 300 is greater than 255")
        let zone = expectOnly(.addressInvalid, in: #""‸fe80::1%eth0 - - - -""#)
        #expect(zone?.message == "'fe80::1%eth0' is not a valid address: zone ids ('%eth0') are not supported")
    }

    @Test func addressErrorCoversOnlyTheAddressPart() {
        let input = Marked(file(rules: #""‸1.2.3‸/8 - - - -""#))
        #expect(check(input).diagnostics.first?.range == input.range)
    }

    static let invalidPrefixes = [
        "10.0.0.0/‸33", "10.0.0.0‸/", "::/‸129", "10.0.0.0/‸08", "10.0.0.0/‸x", "10.0.0.0/‸-1", "::1/‸+3",
        "1.2.3.4/‸8/8",
    ]

    @Test(arguments: invalidPrefixes)
    func rejectsInvalidPrefixes(_ field: String) {
        _ = expectOnly(.prefixInvalid, in: #""\#(field) - - - -""#)
    }

    @Test func hostBitsWarnAndUseThePrefix() throws {
        let diagnostic = expectOnly(.addressHostBits, in: #""‸10.0.0.1/8 - - - -""#)
        #expect(diagnostic?.message == "'10.0.0.1/8' has host bits set; it is read as 10.0.0.0/8")
        let six = expectOnly(.addressHostBits, in: #""- ‸2001:db8::1/32 - - -""#)
        #expect(six?.message == "'2001:db8::1/32' has host bits set; it is read as 2001:db8::/32")
        let rule = try #require(check(file(rules: #""10.0.0.1/8 - - - -""#)).ruleset?.rules.first)
        #expect(rule.sourceAddress.v4 == v4((ipv4(10, 0, 0, 0), ipv4(10, 255, 255, 255))))
    }

    @Test func addressThatMatchesNothingIsAnError() {
        _ = expectOnly(.fieldEmpty, in: #""‸![0.0.0.0/0, ::/0] - - - -""#)
    }

    @Test func itemPositionsSurviveEscapes() {
        // \u002e is '.', so the item is "1.2.3" but spans the escape in the file.
        let input = Marked(file(rules: #""- ‸1\u002e2.3‸ - - -""#))
        #expect(check(input).with(.addressInvalid).first?.range == input.range)
    }
}
