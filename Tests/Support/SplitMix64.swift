import VtapRuleGen

/// The generator every random test uses (defined with the ruleset generator).
public typealias SplitMix64 = VtapRuleGen.SplitMix64

extension RandomNumberGenerator {
    /// True with probability `percent`/100.
    mutating func chance(_ percent: Int) -> Bool {
        Int.random(in: 0..<100, using: &self) < percent
    }

    /// One of `values`, which must not be empty.
    mutating func element<T>(of values: [T]) -> T {
        values[Int.random(in: 0..<values.count, using: &self)]
    }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }
}
