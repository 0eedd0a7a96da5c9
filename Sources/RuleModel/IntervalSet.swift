/// A set of unsigned integers stored as sorted, disjoint, non-adjacent closed
/// intervals. Every rule field (addresses, ports, protocols) normalises to
/// one of these, so negation is a complement and lists are unions.
public struct IntervalSet<Value: FixedWidthInteger & UnsignedInteger & Sendable>: Hashable, Sendable {
    public struct Interval: Hashable, Sendable {
        public var lower: Value
        public var upper: Value
        @inlinable
        public init(_ lower: Value, _ upper: Value) {
            precondition(lower <= upper, "empty interval")
            self.lower = lower
            self.upper = upper
        }
    }

    /// Sorted by `lower`; no two intervals overlap or touch.
    public let intervals: [Interval]

    // Inlinable throughout: sema and codegen call these in hot loops from
    // other modules, and a generic call across modules is not specialised.
    @inlinable
    public init() { intervals = [] }

    @inlinable
    public init<S: Sequence>(_ pieces: S) where S.Element == Interval {
        intervals = Self.normalize(Array(pieces))
    }

    @inlinable
    public init(_ lower: Value, _ upper: Value) {
        intervals = [Interval(lower, upper)]
    }

    /// Already sorted, disjoint and non-adjacent.
    @usableFromInline
    init(normalized: [Interval]) { intervals = normalized }

    @inlinable public static var empty: IntervalSet { IntervalSet() }
    @inlinable public static var full: IntervalSet { IntervalSet(Value.min, Value.max) }

    @inlinable public var isEmpty: Bool { intervals.isEmpty }
    @inlinable public var isFull: Bool {
        intervals.count == 1 && intervals[0].lower == Value.min && intervals[0].upper == Value.max
    }

    @inlinable
    public func contains(_ value: Value) -> Bool {
        var lo = 0
        var hi = intervals.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if intervals[mid].upper < value {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        return lo < intervals.count && intervals[lo].lower <= value
    }

    @inlinable
    public func union(_ other: IntervalSet) -> IntervalSet {
        IntervalSet(intervals + other.intervals)
    }

    /// Complement within `[domainLower, domainUpper]`.
    @inlinable
    public func complement(within domainLower: Value = .min, _ domainUpper: Value = .max) -> IntervalSet {
        var out: [Interval] = []
        var next = domainLower
        var exhausted = false
        for piece in intervals {
            if piece.upper < domainLower { continue }
            if piece.lower > domainUpper { break }
            if piece.lower > next { out.append(Interval(next, piece.lower - 1)) }
            if piece.upper >= domainUpper {
                exhausted = true
                break
            }
            next = piece.upper + 1
        }
        if !exhausted, next <= domainUpper { out.append(Interval(next, domainUpper)) }
        return IntervalSet(normalized: out)
    }

    @inlinable
    public func intersection(_ other: IntervalSet) -> IntervalSet {
        var out: [Interval] = []
        var i = 0
        var j = 0
        while i < intervals.count, j < other.intervals.count {
            let a = intervals[i]
            let b = other.intervals[j]
            let lo = max(a.lower, b.lower)
            let hi = min(a.upper, b.upper)
            if lo <= hi { out.append(Interval(lo, hi)) }
            if a.upper < b.upper { i += 1 } else { j += 1 }
        }
        return IntervalSet(normalized: out)
    }

    @inlinable
    public func isSubset(of other: IntervalSet) -> Bool {
        intersection(other) == self
    }

    @usableFromInline
    static func normalize(_ pieces: [Interval]) -> [Interval] {
        let sorted = pieces.sorted { $0.lower < $1.lower }
        var out: [Interval] = []
        for piece in sorted {
            if var last = out.last,
                last.upper == Value.max || piece.lower <= last.upper + 1
            {
                if piece.upper > last.upper { last.upper = piece.upper }
                out[out.count - 1] = last
            } else {
                out.append(piece)
            }
        }
        return out
    }
}

extension IntervalSet {
    /// All addresses under a CIDR prefix of `length` bits.
    @inlinable
    public static func prefix(_ address: Value, length: Int) -> IntervalSet {
        let width = Value.bitWidth
        precondition(length >= 0 && length <= width)
        if length == 0 { return .full }
        let hostBits = width - length
        let mask: Value = hostBits == 0 ? 0 : (Value.max >> (width - hostBits))
        let lower = address & ~mask
        return IntervalSet(lower, lower | mask)
    }
}
