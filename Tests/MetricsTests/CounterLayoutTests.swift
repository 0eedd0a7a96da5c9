import Foundation
import Testing
import VtapMetrics
import VtapTestSupport

/// The counter table against the two things it describes: the template's
/// `struct vtap_counters` and the Swift values. A field added to either
/// without its table entry fails here.
@Suite struct CounterLayoutTests {
    /// The field names of `struct vtap_counters`, in order.
    static func templateFields() throws -> [String] {
        let text = try String(contentsOf: RepositoryLayout.file("templates/vtap_maps.h"), encoding: .utf8)
        let start = try #require(text.range(of: "struct vtap_counters {"))
        let end = try #require(text.range(of: "};", range: start.upperBound..<text.endIndex))
        return text[start.upperBound..<end.lowerBound].split(separator: "\n").compactMap { line in
            let code = line.split(separator: "/*")[0].trimmingCharacters(in: .whitespaces)
            guard code.hasSuffix(";") else { return nil }
            return code.dropLast().split(whereSeparator: { $0 == " " || $0 == "\t" }).last.map(String.init)
        }
    }

    @Test func theTableIsTheTemplatesStruct() throws {
        let fields = try Self.templateFields()
        let described =
            CounterField.allCases.map(\.name) + [CounterLayout.sequenceLastTime, CounterLayout.sequenceLast]
            + CounterLayout.padding.sorted()
        #expect(fields == described, "template \(fields), table \(described)")
    }

    /// The values stored by index have room for every field, and the wide
    /// totals' carries for every wide one.
    @Test func theTableFitsTheInlineStorage() {
        #expect(CounterField.allCases.count <= CounterValues.capacity)
        #expect(CounterField.allCases.filter { $0.accumulation == .wide }.count <= ScopeTotals.wideCapacity)
        #expect(Set(CounterField.allCases.map(\.name)).count == CounterField.allCases.count, "names are unique")
        // A copy of the totals holds five per rule (the rule and its four
        // classes): at 100,000 rules each byte here is 0.5 MB.
        #expect(MemoryLayout<Counters>.size <= 144, "\(MemoryLayout<Counters>.size)")
        #expect(MemoryLayout<ScopeTotals>.size <= 176, "\(MemoryLayout<ScopeTotals>.size)")
    }

    /// Each field keeps its own value from a map read to the totals, and
    /// the names code uses read the field they say.
    @Test func everyFieldHasItsOwnPlace() {
        var counters = Counters()
        for field in CounterField.allCases { counters[field] = UInt64(field.rawValue + 1) }
        var totals = ScopeTotals()
        for field in CounterField.allCases { totals.add(counters[field], to: field) }
        for field in CounterField.allCases {
            #expect(totals[wide: field] == UInt128(field.rawValue + 1), "\(field.name)")
        }
        #expect(counters.packets == 1 && totals.packets == 1)
        #expect(counters.sequenceMissing == UInt64(CounterField.sequenceMissing.rawValue + 1))
        #expect(totals.jitterSumSquaresNanoseconds2 == UInt128(CounterField.jitterSumSquaresNanoseconds2.rawValue + 1))
    }

    /// A wide field carries past 2^64; a count wraps like the map's own.
    @Test func wideFieldsCarryAndCountsWrap() {
        var totals = ScopeTotals()
        totals.add(UInt64.max, to: .jitterSumSquaresNanoseconds2)
        totals.add(3, to: .jitterSumSquaresNanoseconds2)
        #expect(totals.jitterSumSquaresNanoseconds2 == UInt128(UInt64.max) + 3)
        totals.add(UInt64.max, to: .packets)
        totals.add(3, to: .packets)
        #expect(totals.packets == 2)
        var other = totals
        #expect(other == totals)
        other.jitterSumSquaresNanoseconds2 = UInt128(UInt64.max) + 3 + (1 << 64)
        #expect(other != totals, "equality sees the carries")
    }

    @Test func theNewestSequenceNumberWins() {
        var mark = SequenceMark()
        mark.keepNewer(SequenceMark(value: nil, time: 99))
        #expect(mark.value == nil)
        mark.keepNewer(SequenceMark(value: 7, time: 10))
        mark.keepNewer(SequenceMark(value: 5, time: 9))
        #expect(mark == SequenceMark(value: 7, time: 10))
        mark.keepNewer(SequenceMark(value: 8, time: 10))
        #expect(mark == SequenceMark(value: 8, time: 10), "a tie goes to the later one read")
        var a = Counters()
        a.sequenceMark = SequenceMark(value: 1, time: 5)
        var b = Counters()
        b.sequenceMark = SequenceMark(value: 2, time: 3)
        #expect(Counters.combined([a, b]).sequenceLast == 1 && Counters.combined([b, a]).sequenceLast == 1)
    }
}
