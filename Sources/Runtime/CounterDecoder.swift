import VtapBPF
import VtapMetrics
import VtapRuleModel

/// Decodes map values by field name, using the layouts in the manifest.
struct CounterDecoder {
    let counters: Manifest.Struct
    let tally: Manifest.Struct

    init(_ manifest: Manifest) throws {
        guard let counters = manifest.structLayout(named: ObjectContract.countersStruct),
            let tally = manifest.structLayout(named: ObjectContract.tallyStruct)
        else { throw RuntimeError.badInput("the manifest has no counter layouts") }
        self.counters = counters
        self.tally = tally
    }

    func counters(_ snapshot: MapSnapshot, index: Int) -> Counters {
        func sum(_ field: String) -> UInt64 {
            guard let f = counters.field(field) else { return 0 }
            return snapshot.sum(UInt64.self, at: index, offset: f.offset) ?? 0
        }
        var c = Counters()
        for field in CounterLayout.fields { c[keyPath: field.counters] = sum(field.name) }
        // Each CPU keeps its own last number; the newest wins.
        if let last = counters.field(CounterLayout.sequenceLast),
            let when = counters.field(CounterLayout.sequenceLastTime), let seen = counters.field("seq_count")
        {
            for cpu in 0..<snapshot.cpuCount {
                guard let count = snapshot.load(UInt64.self, at: index, cpu: cpu, offset: seen.offset), count > 0,
                    let time = snapshot.load(UInt64.self, at: index, cpu: cpu, offset: when.offset)
                else { continue }
                let value = snapshot.load(UInt32.self, at: index, cpu: cpu, offset: last.offset)
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
