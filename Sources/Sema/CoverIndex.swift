import VtapRuleModel

/// Finds the earliest indexed rule that covers a given one without
/// comparing against every earlier rule.
///
/// Each field of a rule has a *hull*: the smallest prefix of its number
/// space (IPv4, IPv6, ports, protocols) holding all its values. If rule A
/// covers rule B, A's hull of every field contains B's hull of that field,
/// so it is a prefix of it. Each rule is filed in one bucket, under the
/// hull of one of its fields; a lookup visits, for every field of B, the
/// buckets of the prefixes of B's hull — only prefix lengths that occur —
/// and compares B with the rules there alone.
struct CoverIndex {
    private var entries: [(position: Int, match: RuleMatch)] = []
    private var buckets: [Hull: [Int]] = [:]
    /// Prefix lengths filed so far, per field and space.
    private var lengths: [FieldSpace: Set<UInt8>] = [:]

    init(capacity: Int) {
        entries.reserveCapacity(capacity)
        buckets.reserveCapacity(capacity)
    }

    /// The position of the earliest filed rule covering `match`; when
    /// there is none, files `match` under `position` and returns `nil`.
    /// A covered rule is not filed: its coverer covers all it would.
    mutating func coveringOrInsert(_ match: RuleMatch, position: Int) -> Int? {
        let hulls = Hull.all(of: match)
        if let covering = firstCovering(match, hulls) { return entries[covering].position }
        // The emptiest bucket keeps lookups short; the most specific hull
        // breaks ties, so broad keys stay empty for as long as possible.
        guard
            let chosen = hulls.min(by: { a, b in
                let (sizeA, sizeB) = (buckets[a]?.count ?? 0, buckets[b]?.count ?? 0)
                return sizeA != sizeB ? sizeA < sizeB : a.specificity > b.specificity
            })
        else { return nil }
        buckets[chosen, default: []].append(entries.count)
        lengths[chosen.fieldSpace, default: []].insert(chosen.length)
        entries.append((position, match))
        return nil
    }

    /// The entry of the earliest filed rule covering `match`.
    private func firstCovering(_ match: RuleMatch, _ hulls: [Hull]) -> Int? {
        var best: Int?
        for hull in hulls {
            for key in containingHulls(hull) {
                guard let bucket = buckets[key] else { continue }
                // Buckets are in rule order: the first cover in each is its earliest.
                for entry in bucket {
                    if let best, entry >= best { break }
                    if entries[entry].match.covers(match) {
                        best = entry
                        break
                    }
                }
            }
        }
        return best
    }

    /// The filed hulls that can contain `hull`: its prefixes, and the
    /// everything-space hull of the same field.
    private func containingHulls(_ hull: Hull) -> [Hull] {
        var hulls = (lengths[hull.fieldSpace] ?? []).filter { $0 <= hull.length }.map { hull.truncated(to: $0) }
        if hull.fieldSpace.space != .everything { hulls.append(Hull.everything(hull.fieldSpace.field)) }
        return hulls
    }
}

/// A field and the number space its hull lives in.
private struct FieldSpace: Hashable {
    enum Space: UInt8 {
        /// Both address families, or a port field that is `-`: contains every other space.
        case everything, v4, v6, ports, protocols
    }

    var field: UInt8
    var space: Space

    var width: Int {
        switch space {
        case .everything: 0
        case .v4: 32
        case .v6: 128
        case .ports: 16
        case .protocols: 8
        }
    }
}

private struct Hull: Hashable {
    var fieldSpace: FieldSpace
    var length: UInt8
    /// The prefix, right-aligned in the space's width, host bits zero.
    var bits: UInt128

    var specificity: Double {
        fieldSpace.width == 0 ? 0 : Double(length) / Double(fieldSpace.width)
    }

    func truncated(to newLength: UInt8) -> Hull {
        let width = fieldSpace.width
        let spaceMask: UInt128 = width == 128 ? .max : (UInt128(1) << width) - 1
        let kept = spaceMask & ~(spaceMask >> Int(newLength))
        return Hull(fieldSpace: fieldSpace, length: newLength, bits: bits & kept)
    }

    static func all(of match: RuleMatch) -> [Hull] {
        [
            address(match.source, field: 0), address(match.destination, field: 1),
            port(match.sourcePort, field: 2), port(match.destinationPort, field: 3),
            of(match.protocols.numbers, FieldSpace(field: 4, space: .protocols)),
        ]
    }

    private static func address(_ match: AddressMatch, field: UInt8) -> Hull {
        if match.v6.isEmpty { return of(match.v4, FieldSpace(field: field, space: .v4)) }
        if match.v4.isEmpty { return of(match.v6, FieldSpace(field: field, space: .v6)) }
        return everything(field)
    }

    private static func port(_ match: PortMatch, field: UInt8) -> Hull {
        switch match {
        case .any: everything(field)
        case .ports(let ports): of(ports, FieldSpace(field: field, space: .ports))
        }
    }

    static func everything(_ field: UInt8) -> Hull {
        Hull(fieldSpace: FieldSpace(field: field, space: .everything), length: 0, bits: 0)
    }

    /// The common leading bits of the lowest and highest value.
    private static func of<T: FixedWidthInteger & UnsignedInteger>(_ set: IntervalSet<T>, _ space: FieldSpace) -> Hull {
        guard let lowest = set.intervals.first?.lower, let highest = set.intervals.last?.upper else {
            return everything(space.field)
        }
        let length = (lowest ^ highest).leadingZeroBitCount
        let bits = lowest & ~(T.max >> length)
        return Hull(fieldSpace: space, length: UInt8(length), bits: UInt128(bits))
    }
}
