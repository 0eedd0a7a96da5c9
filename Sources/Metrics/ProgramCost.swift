/// What one loaded program cost so far, from the kernel's run-time
/// statistics: how often it ran and how long it took in all.
public struct ProgramCost: Sendable, Equatable {
    /// The program's function name.
    public var program: String
    /// The interface its instance is attached to; nil for a host-wide one
    /// (the event programs).
    public var interface: String?
    public var runs: UInt64
    public var nanoseconds: UInt64

    public init(program: String, interface: String?, runs: UInt64, nanoseconds: UInt64) {
        self.program = program
        self.interface = interface
        self.runs = runs
        self.nanoseconds = nanoseconds
    }

    /// Mean time a run; nil before the first.
    public var nanosecondsPerRun: Double? { runs == 0 ? nil : Double(nanoseconds) / Double(runs) }
}
