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

    /// The `vtap_counters` of entry `index`, starting `base` bytes into
    /// the value (a struct that holds one, as `vtap_flow_counters` does).
    func counters(_ snapshot: MapSnapshot, index: Int, base: Int = 0) -> Counters {
        var c = Counters()
        for (field, offset) in summed {
            c[field] = snapshot.sum(UInt64.self, at: index, offset: base + offset) ?? 0
        }
        // Each CPU keeps its own last number; the newest wins.
        if let sequence {
            for cpu in 0..<snapshot.cpuCount {
                guard
                    let count = snapshot.load(UInt64.self, at: index, cpu: cpu, offset: base + sequence.count),
                    count > 0,
                    let time = snapshot.load(UInt64.self, at: index, cpu: cpu, offset: base + sequence.time)
                else { continue }
                let value = snapshot.load(UInt32.self, at: index, cpu: cpu, offset: base + sequence.last)
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

/// Reads the per-flow view's keys by field name, from the manifest's
/// layouts of `vtap_flow_view_key` and `vtap_flow_key`.
struct FlowKeyDecoder {
    private let source: Int
    private let destination: Int
    private let sourcePort: Int
    private let destinationPort: Int
    private let ipProtocol: Int
    private let family: Int
    private let rule: Int
    /// Where `vtap_flow_counters` keeps its `vtap_counters`.
    let countersOffset: Int

    /// Nil when the manifest lacks a layout (an object without the view).
    init?(_ manifest: Manifest) {
        guard let view = manifest.structLayout(named: ObjectContract.flowViewKeyStruct),
            let flow = manifest.structLayout(named: ObjectContract.flowKeyStruct),
            let value = manifest.structLayout(named: ObjectContract.flowCountersStruct),
            let base = view.field("flow")?.offset, let rule = view.field("rule")?.offset,
            let source = flow.field("src")?.offset, let destination = flow.field("dst")?.offset,
            let sourcePort = flow.field("sport")?.offset, let destinationPort = flow.field("dport")?.offset,
            let ipProtocol = flow.field("proto")?.offset, let family = flow.field("family")?.offset,
            let counters = value.field("counters")?.offset
        else { return nil }
        self.source = base + source
        self.destination = base + destination
        self.sourcePort = base + sourcePort
        self.destinationPort = base + destinationPort
        self.ipProtocol = base + ipProtocol
        self.family = base + family
        self.rule = rule
        countersOffset = counters
    }

    /// The key's flow; nil for bytes too short to hold one.
    func key(_ bytes: [UInt8]) -> FlowKey? {
        func load<T: FixedWidthInteger>(_ offset: Int, _ type: T.Type) -> T? {
            guard offset >= 0, offset + MemoryLayout<T>.size <= bytes.count else { return nil }
            return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        }
        guard let family = load(family, UInt8.self), let ipProtocol = load(ipProtocol, UInt8.self),
            let rule = load(rule, UInt32.self), let sourcePort = load(sourcePort, UInt16.self),
            let destinationPort = load(destinationPort, UInt16.self),
            let source = address(bytes, at: source, family: family),
            let destination = address(bytes, at: destination, family: family)
        else { return nil }
        return FlowKey(
            rule: Int(rule), ipProtocol: ipProtocol, source: source, destination: destination,
            sourcePort: sourcePort, destinationPort: destinationPort)
    }

    /// The template keeps addresses as host-order 32-bit words, the most
    /// significant first; in network order for inet_ntop.
    private func address(_ bytes: [UInt8], at offset: Int, family: UInt8) -> String? {
        let words = family == 6 ? 4 : 1
        guard offset >= 0, offset + 4 * words <= bytes.count else { return nil }
        var network: [UInt8] = []
        for word in 0..<words {
            let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 4 * word, as: UInt32.self) }
            network += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) }
        }
        return network.withUnsafeBytes { EventDecoder.text($0, version: family == 6 ? 6 : 4) }
    }
}
