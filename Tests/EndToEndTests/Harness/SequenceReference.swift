/// The sequence-error rules of the contract, written out plainly in the
/// test (not vtap's code), to derive expected counters from a capture.
///
/// Per flow, with p the flow's previous number: expected e = p + 1
/// (counters carried in UDP/ICMP payloads) or p + that segment's payload +
/// SYN + FIN (TCP); d = (int32)(s − e): 0 in order, < 0 reverse,
/// 0 < d ≤ threshold small, above it big; UDP/ICMP add d > 0 to `lost`.
/// A flow's first number is counted, never an error; a packet without a
/// number is `missing` and leaves the flow's state alone.
struct SequenceReference {
    enum Kind { case counter, tcp }

    let kind: Kind
    let threshold: UInt32
    private var previous: [String: (number: UInt32, advance: UInt32)] = [:]
    private(set) var counters = SequenceCounters()
    private(set) var last: UInt32?

    init(_ kind: Kind, threshold: UInt32 = 2) {
        self.kind = kind
        self.threshold = threshold
    }

    /// UDP or ICMP: `number` nil when the packet carries none.
    mutating func observe(flow: String, number: UInt32?) {
        precondition(kind == .counter)
        record(flow: flow, number: number, advance: 1)
    }

    /// TCP: segments with neither payload nor SYN/FIN are not checked.
    mutating func observe(flow: String, sequence: UInt32, payload: UInt32, syn: Bool, fin: Bool) {
        precondition(kind == .tcp)
        let advance = payload &+ (syn ? 1 : 0) &+ (fin ? 1 : 0)
        guard advance > 0 else { return }
        record(flow: flow, number: sequence, advance: advance)
    }

    private mutating func record(flow: String, number: UInt32?, advance: UInt32) {
        guard let number else {
            counters.missing += 1
            return
        }
        counters.count += 1
        last = number
        defer { previous[flow] = (number, advance) }
        guard let prior = previous[flow] else { return }
        let expected = prior.number &+ (kind == .tcp ? prior.advance : 1)
        let d = Int32(bitPattern: number &- expected)
        if d < 0 {
            counters.reverse += 1
        } else if d > 0 {
            if UInt32(d) <= threshold { counters.small += 1 } else { counters.big += 1 }
            if kind == .counter { counters.lost += UInt64(d) }
        }
    }
}
