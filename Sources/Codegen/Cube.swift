import VtapRuleModel

/// A rule restricted to one address family as a box of per-field value
/// sets. A rule is the union of its cubes; most rules are one cube, an IPv6
/// address set that is not a single 64-bit-aligned range splits into several.
struct Cube: Sendable {
    var rule: Int32
    /// Indexed by `MatchField.rawValue`.
    var fields: [IntervalSet<UInt64>]
}

enum CubeBuilder {
    /// The cubes of every rule that can match packets of `family`, in rule order.
    static func cubes(of ruleset: Ruleset, family: AddressFamily) -> [Cube] {
        ruleset.rules.flatMap { cubes(of: $0, family: family) }
    }

    static func cubes(of rule: Rule, family: AddressFamily) -> [Cube] {
        let sources = addressBoxes(rule.sourceAddress, family)
        let destinations = addressBoxes(rule.destinationAddress, family)
        if sources.isEmpty || destinations.isEmpty { return [] }

        var base = [IntervalSet<UInt64>](repeating: .empty, count: MatchField.allCases.count)
        base[MatchField.proto.rawValue] = widen(rule.protocols.numbers)
        base[MatchField.sport.rawValue] = ports(rule.sourcePort)
        base[MatchField.dport.rawValue] = ports(rule.destinationPort)

        var out: [Cube] = []
        for source in sources {
            for destination in destinations {
                var fields = base
                fields[MatchField.srcHi.rawValue] = source.hi
                fields[MatchField.srcLo.rawValue] = source.lo
                fields[MatchField.dstHi.rawValue] = destination.hi
                fields[MatchField.dstLo.rawValue] = destination.lo
                out.append(Cube(rule: Int32(rule.index), fields: fields))
            }
        }
        return out
    }

    /// `-` matches packets with or without ports; a port list only packets with ports.
    private static func ports(_ match: PortMatch) -> IntervalSet<UInt64> {
        switch match {
        case .any: IntervalSet(0, MatchField.noPort)
        case .ports(let set): widen(set)
        }
    }

    private static func widen<T>(_ set: IntervalSet<T>) -> IntervalSet<UInt64> {
        IntervalSet(set.intervals.map { .init(UInt64($0.lower), UInt64($0.upper)) })
    }

    struct AddressBox: Hashable {
        var hi: IntervalSet<UInt64>
        var lo: IntervalSet<UInt64>
    }

    /// An address set as boxes over (high half, low half). IPv4 uses only the
    /// low half (the high half is 0 in the key).
    static func addressBoxes(_ match: AddressMatch, _ family: AddressFamily) -> [AddressBox] {
        switch family {
        case .v4:
            if match.v4.isEmpty { return [] }
            return [AddressBox(hi: IntervalSet(0, 0), lo: widen(match.v4))]
        case .v6:
            if match.v6.isEmpty { return [] }
            return v6Boxes(match.v6)
        }
    }

    /// Splits each 128-bit interval into at most three boxes, then merges
    /// boxes that share a low-half set, so a prefix list stays one box.
    private static func v6Boxes(_ set: IntervalSet<UInt128>) -> [AddressBox] {
        let fullLow = IntervalSet<UInt64>.full
        var byLow: [IntervalSet<UInt64>: [IntervalSet<UInt64>.Interval]] = [:]
        var order: [IntervalSet<UInt64>] = []
        func add(_ hiLower: UInt64, _ hiUpper: UInt64, _ low: IntervalSet<UInt64>) {
            if byLow[low] == nil { order.append(low) }
            byLow[low, default: []].append(.init(hiLower, hiUpper))
        }
        for interval in set.intervals {
            let aHi = UInt64(truncatingIfNeeded: interval.lower >> 64)
            let aLo = UInt64(truncatingIfNeeded: interval.lower)
            let bHi = UInt64(truncatingIfNeeded: interval.upper >> 64)
            let bLo = UInt64(truncatingIfNeeded: interval.upper)
            if aHi == bHi {
                add(aHi, aHi, IntervalSet(aLo, bLo))
                continue
            }
            // Whole high values in the middle; partial ones at either end.
            var midLower = aHi
            var midUpper = bHi
            if aLo != 0 {
                add(aHi, aHi, IntervalSet(aLo, .max))
                midLower = aHi + 1
            }
            if bLo != .max {
                add(bHi, bHi, IntervalSet(0, bLo))
                midUpper = bHi - 1
            }
            if midLower <= midUpper { add(midLower, midUpper, fullLow) }
        }
        return order.map { AddressBox(hi: IntervalSet(byLow[$0] ?? []), lo: $0) }
    }
}
