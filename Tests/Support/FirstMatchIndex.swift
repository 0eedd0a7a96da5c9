import VtapRuleModel

/// The reference semantics, `Ruleset.firstMatch`, fast enough to check every
/// header of a 100,000-header trace against 100,000 rules: each rule is
/// filed under the top byte of its IPv4 source and destination (one list
/// per pair of bytes, one per byte with the other field wide, one for
/// rules wide in both), and a packet runs `Rule.matches` on the rules of
/// its four lists only, taking the lowest index. A rule is filed wherever
/// a packet it matches could look, so the answer is the linear scan's;
/// `FirstMatchIndexTests` checks that against the scan itself.
public struct FirstMatchIndex: Sendable {
    public let ruleset: Ruleset
    private var pairs: [Int: [Int32]] = [:]
    private var bySource = [[Int32]](repeating: [], count: 256)
    private var byDestination = [[Int32]](repeating: [], count: 256)
    private var wide: [Int32] = []
    private var v6: [Int32] = []

    /// A field touching more top bytes than this is filed as wide.
    static let specificLimit = 4

    public init(_ ruleset: Ruleset) {
        self.ruleset = ruleset
        for rule in ruleset.rules {
            let index = Int32(rule.index)
            if !rule.sourceAddress.v6.isEmpty, !rule.destinationAddress.v6.isEmpty { v6.append(index) }
            guard !rule.sourceAddress.v4.isEmpty, !rule.destinationAddress.v4.isEmpty else { continue }
            switch (Self.topBytes(rule.sourceAddress.v4), Self.topBytes(rule.destinationAddress.v4)) {
            case (let sources?, let destinations?):
                for source in sources {
                    for destination in destinations { pairs[source << 8 | destination, default: []].append(index) }
                }
            case (let sources?, nil):
                for source in sources { bySource[source].append(index) }
            case (nil, let destinations?):
                for destination in destinations { byDestination[destination].append(index) }
            case (nil, nil):
                wide.append(index)
            }
        }
    }

    /// The top bytes an address set touches, or nil when there are many.
    private static func topBytes(_ set: IntervalSet<UInt32>) -> [Int]? {
        var bytes = Set<Int>()
        for piece in set.intervals {
            let first = Int(piece.lower >> 24)
            let last = Int(piece.upper >> 24)
            if last - first >= specificLimit { return nil }
            bytes.formUnion(first...last)
            if bytes.count > specificLimit { return nil }
        }
        return Array(bytes)
    }

    /// The index of the first rule that matches `packet`, or nil.
    public func firstMatch(_ packet: PacketFields) -> Int? {
        let lists: [[Int32]]
        if case .v4(let source) = packet.source, case .v4(let destination) = packet.destination {
            let s = Int(source >> 24)
            let d = Int(destination >> 24)
            lists = [pairs[s << 8 | d] ?? [], bySource[s], byDestination[d], wide]
        } else {
            lists = [v6]
        }
        var best: Int32?
        for list in lists {
            for index in list {
                if let best, index >= best { break }
                if ruleset.rules[Int(index)].matches(packet) {
                    best = index
                    break
                }
            }
        }
        return best.map(Int.init)
    }
}
