import VtapRuleModel

extension IntervalSet {
    /// Like `init(_:)`, without the general normalisation for the common
    /// field of a single item.
    static func of(_ pieces: [Interval]) -> IntervalSet {
        switch pieces.count {
        case 0: IntervalSet()
        case 1: IntervalSet(pieces[0].lower, pieces[0].upper)
        default: IntervalSet(pieces)
        }
    }
}
