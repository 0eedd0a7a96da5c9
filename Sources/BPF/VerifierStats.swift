/// The verifier's own figures for one program, from the statistics lines it
/// prints at log level 4 (`BPF_LOG_STATS`) and at the end of every full log:
///
///     verification time 23 usec
///     stack depth 8+16
///     processed 12 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0
///
/// Figures older or newer kernels may omit are optional. Pure value type.
public struct VerifierStats: Sendable, Equatable, Codable {
    /// Instructions the verifier walked (over all paths), the complexity figure.
    public var instructionsProcessed: Int
    /// The kernel's limit on ``instructionsProcessed`` (1,000,000 since 5.2).
    public var instructionLimit: Int?
    /// The most states the verifier kept for any one instruction.
    public var maxStatesPerInstruction: Int?
    /// States created over the whole verification.
    public var totalStates: Int?
    /// The most states alive at once.
    public var peakStates: Int?
    /// Registers marked as read (kernels up to 6.x print it).
    public var markRead: Int?
    /// Wall time the verifier spent, from `verification time N usec`.
    public var verificationTimeMicroseconds: Int?
    /// Stack depth of each subprogram, from `stack depth 8+16`.
    public var stackDepths: [Int]

    public init(
        instructionsProcessed: Int, instructionLimit: Int? = nil, maxStatesPerInstruction: Int? = nil,
        totalStates: Int? = nil, peakStates: Int? = nil, markRead: Int? = nil,
        verificationTimeMicroseconds: Int? = nil, stackDepths: [Int] = []
    ) {
        self.instructionsProcessed = instructionsProcessed
        self.instructionLimit = instructionLimit
        self.maxStatesPerInstruction = maxStatesPerInstruction
        self.totalStates = totalStates
        self.peakStates = peakStates
        self.markRead = markRead
        self.verificationTimeMicroseconds = verificationTimeMicroseconds
        self.stackDepths = stackDepths
    }

    /// A count as the kernel prints one: digits only (Int would take `-2`
    /// or `+2`, which the fuzzer found no kernel writes).
    static func count(_ text: some StringProtocol) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text)
    }

    /// Parses the `processed N insns ...` line alone; nil if `line` is not one.
    public static func parse(statsLine line: some StringProtocol) -> VerifierStats? {
        let tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
        guard tokens.count >= 3, tokens[0] == "processed", tokens[2] == "insns",
            let processed = count(tokens[1])
        else { return nil }
        var stats = VerifierStats(instructionsProcessed: processed)
        var index = 3
        while index < tokens.count {
            let key = tokens[index]
            let value = index + 1 < tokens.count ? tokens[index + 1] : nil
            let number = value.flatMap { count($0.trimming("()")) }
            switch key {
            case "(limit": stats.instructionLimit = number
            case "max_states_per_insn": stats.maxStatesPerInstruction = number
            case "total_states": stats.totalStates = number
            case "peak_states": stats.peakStates = number
            case "mark_read": stats.markRead = number
            default:
                index += 1  // unknown word: step over it alone
                continue
            }
            index += 2
        }
        return stats
    }

    /// Finds and combines the statistics lines anywhere in a verifier log
    /// (the last occurrence of each wins); nil if the log has no
    /// `processed N insns` line.
    public static func parse(log: some StringProtocol) -> VerifierStats? {
        var stats: VerifierStats?
        var time: Int?
        var depths: [Int] = []
        for line in log.split(separator: "\n", omittingEmptySubsequences: true) {
            if let parsed = parse(statsLine: line) {
                stats = parsed
            } else if line.hasPrefix("verification time ") {
                let words = line.split(separator: " ")
                if words.count >= 3, let value = count(words[2]) { time = value }
            } else if line.hasPrefix("stack depth ") {
                let value = line.dropFirst("stack depth ".count)
                let parts = value.split(separator: "+").compactMap { count($0.trimming(" ")) }
                if !parts.isEmpty { depths = parts }
            }
        }
        guard var result = stats else { return nil }
        result.verificationTimeMicroseconds = time
        result.stackDepths = depths
        return result
    }
}

extension StringProtocol {
    /// `self` without leading and trailing characters from `set`.
    func trimming(_ set: String) -> Substring {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return slice
    }
}
