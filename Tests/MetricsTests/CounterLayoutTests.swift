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
            CounterLayout.fields.map(\.name) + [CounterLayout.sequenceLastTime, CounterLayout.sequenceLast]
            + CounterLayout.padding.sorted()
        #expect(fields == described, "template \(fields), table \(described)")
    }

    /// Every UInt64 of `Counters` but the sequence mark's time is a table
    /// field, and every table field reaches its own place in `ScopeTotals`.
    @Test func theTableCoversEverySwiftField() {
        var counters = Counters()
        for (index, field) in CounterLayout.fields.enumerated() {
            counters[keyPath: field.counters] = UInt64(index + 1)
        }
        let unset = Mirror(reflecting: counters).children.filter { child in
            (child.value as? UInt64) == 0 && child.label != "sequenceLastNanoseconds"
        }
        #expect(unset.isEmpty, "Counters fields outside the table: \(unset.map(\.label))")

        var totals = ScopeTotals()
        for field in CounterLayout.fields { field.accumulate(counters, since: Counters(), into: &totals) }
        var values: [UInt128] = []
        for child in Mirror(reflecting: totals).children where child.label != "sequenceLastNanoseconds" {
            if let value = child.value as? UInt64 { values.append(UInt128(value)) }
            if let value = child.value as? UInt128 { values.append(value) }
        }
        #expect(values.sorted() == (1...UInt128(CounterLayout.fields.count)).map { $0 }, "\(values)")
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
