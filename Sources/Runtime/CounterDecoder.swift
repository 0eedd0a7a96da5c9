import VtapBPF
import VtapMetrics
import VtapRuleModel

/// Decodes map values by field name, using the layouts in the manifest.
struct CounterDecoder {
    let counters: Manifest.Struct
    let tally: Manifest.Struct
    /// Each table field the layout has, with its offset: looked up once,
    /// not per field of each of a read's entries.
    private let summed: [(field: CounterField, offset: Int)]
    /// The last sequence number's, its time's and the checked count's offsets.
    private let sequence: (last: Int, time: Int, count: Int)?

    init(_ manifest: Manifest) throws {
        guard let counters = manifest.structLayout(named: ObjectContract.countersStruct),
            let tally = manifest.structLayout(named: ObjectContract.tallyStruct)
        else { throw RuntimeError.badInput("the manifest has no counter layouts") }
        self.counters = counters
        self.tally = tally
        summed = CounterField.allCases.compactMap { field in counters.field(field.name).map { (field, $0.offset) } }
        if let last = counters.field(CounterLayout.sequenceLast),
            let time = counters.field(CounterLayout.sequenceLastTime),
            let count = counters.field(CounterField.sequenceCount.name)
        {
            sequence = (last.offset, time.offset, count.offset)
        } else {
            sequence = nil
        }
    }

    func counters(_ snapshot: MapSnapshot, index: Int) -> Counters {
        var c = Counters()
        for (field, offset) in summed { c[field] = snapshot.sum(UInt64.self, at: index, offset: offset) ?? 0 }
        // Each CPU keeps its own last number; the newest wins.
        if let sequence {
            for cpu in 0..<snapshot.cpuCount {
                guard let count = snapshot.load(UInt64.self, at: index, cpu: cpu, offset: sequence.count), count > 0,
                    let time = snapshot.load(UInt64.self, at: index, cpu: cpu, offset: sequence.time)
                else { continue }
                let value = snapshot.load(UInt32.self, at: index, cpu: cpu, offset: sequence.last)
                c.sequenceMark.keepNewer(SequenceMark(value: value, time: time))
            }
        }
        return c
    }

    func tally(_ snapshot: MapSnapshot, index: Int) -> Tally {
        let packets = tally.field("packets").flatMap { snapshot.sum(UInt64.self, at: index, offset: $0.offset) }
        let bytes = tally.field("bytes").flatMap { snapshot.sum(UInt64.self, at: index, offset: $0.offset) }
        return Tally(packets: packets ?? 0, bytes: bytes ?? 0)
    }
}
