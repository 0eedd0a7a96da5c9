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
        c.packets = sum("packets")
        c.bytes = sum("bytes")
        c.payloadBytes = sum("payload_bytes")
        c.jitterSamples = sum("jitter_samples")
        c.jitterSumNanoseconds = sum("jitter_sum_ns")
        c.jitterSumSquaresNanoseconds2 = sum("jitter_sum_sq_ns2")
        c.jitterRestarts = sum("jitter_restarts")
        c.sequenceCount = sum("seq_count")
        c.sequenceReverse = sum("seq_reverse")
        c.sequenceSmall = sum("seq_small")
        c.sequenceBig = sum("seq_big")
        c.sequenceLost = sum("seq_lost")
        c.sequenceMissing = sum("seq_missing")
        // The last sequence number is the one seen most recently on any CPU.
        if let last = counters.field("seq_last"), let when = counters.field("seq_last_ns"),
            let seen = counters.field("seq_count")
        {
            var newest: UInt64 = 0
            for cpu in 0..<snapshot.cpuCount {
                guard let count = snapshot.load(UInt64.self, at: index, cpu: cpu, offset: seen.offset), count > 0,
                    let time = snapshot.load(UInt64.self, at: index, cpu: cpu, offset: when.offset)
                else { continue }
                if c.sequenceLast == nil || time >= newest {
                    newest = time
                    c.sequenceLast = snapshot.load(UInt32.self, at: index, cpu: cpu, offset: last.offset)
                }
            }
            c.sequenceLastNanoseconds = newest
        }
        return c
    }

    func tally(_ snapshot: MapSnapshot, index: Int) -> Tally {
        let packets = tally.field("packets").flatMap { snapshot.sum(UInt64.self, at: index, offset: $0.offset) }
        let bytes = tally.field("bytes").flatMap { snapshot.sum(UInt64.self, at: index, offset: $0.offset) }
        return Tally(packets: packets ?? 0, bytes: bytes ?? 0)
    }
}
