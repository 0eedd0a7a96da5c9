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
///
/// Rules that are broad in every field (`!10.0.0.1 - - - TCP`, many times
/// over) share buckets that every lookup visits. So that such a file
/// cannot make the check quadratic, a lookup compares at most
/// `comparisonBudget` candidates; past that, a shadowed rule may go
/// unreported (it is a warning, and codegen still finds unreachable rules).
struct CoverIndex {
    static let comparisonBudget = 256

    private var entries: [(position: Int, match: RuleMatch)] = []
    private var buckets: [Hull: [Int]] = [:]
    /// Prefix lengths filed so far, sorted, per field and space (`FieldSpace.slot`).
    private var lengths = Array(repeating: [UInt8](), count: FieldSpace.slotCount)

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
        let sizes = hulls.map { buckets[$0]?.count ?? 0 }
        guard
            let chosen = hulls.indices.min(by: { a, b in
                sizes[a] != sizes[b] ? sizes[a] < sizes[b] : hulls[a].specificity > hulls[b].specificity
            }).map({ hulls[$0] })
        else { return nil }
        buckets[chosen, default: []].append(entries.count)
        let slot = chosen.fieldSpace.slot
        if !lengths[slot].contains(chosen.length) {
            lengths[slot].append(chosen.length)
            lengths[slot].sort()
        }
        entries.append((position, match))
        return nil
    }

    /// The entry of the earliest filed rule covering `match`, within the budget.
    private func firstCovering(_ match: RuleMatch, _ hulls: [Hull]) -> Int? {
        var best: Int?
        var budget = Self.comparisonBudget
        for hull in hulls {
            for key in containingHulls(hull) {
                guard let bucket = buckets[key] else { continue }
                // Buckets are in rule order: the first cover in each is its earliest.
                for entry in bucket {
                    if let best, entry >= best { break }
                    guard budget > 0 else { return best }
                    budget -= 1
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
        var hulls = lengths[hull.fieldSpace.slot].prefix { $0 <= hull.length }.map { hull.truncated(to: $0) }
        if hull.fieldSpace.space != .everything { hulls.append(Hull.everything(hull.fieldSpace.field)) }
        return hulls
    }
}

/// A field and the number space its hull lives in.
private struct FieldSpace: Equatable {
    enum Space: UInt8 {
        /// Both address families, or a port field that is `-`: contains every other space.
        case everything, v4, v6, ports, protocols
    }

    var field: UInt8
    var space: Space

    /// A dense index over every (field, space) pair.
    var slot: Int { Int(field) * 5 + Int(space.rawValue) }
    static let slotCount = 5 * 5

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

    /// Hashes two words instead of five fields: lookups are the hot path.
    func hash(into hasher: inout Hasher) {
        hasher.combine(UInt64(truncatingIfNeeded: bits) ^ UInt64(fieldSpace.slot) << 56 ^ UInt64(length) << 48)
        hasher.combine(UInt64(truncatingIfNeeded: bits >> 64))
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
