import VtapBPF
import VtapMetrics

/// Measures a run's own cost in the kernel: turns the kernel's run-time
/// statistics on while it lives and reads them for the run's programs (the
/// packet program of each interface and the event programs). The programs
/// are taken when the run starts, so a read during or after detaching
/// still finds them (each keeps its object, and so its kernel program, alive).
public final class ProgramCostReader: @unchecked Sendable {
    private let programs: [(program: BPFProgram, interface: String?)]
    private let statistics: RunTimeStatistics?
    /// Why there are no figures, when the statistics could not be turned on.
    public let unavailable: String?

    public init(_ live: LiveMeasurement, events: EventTap?, enabled: Bool) {
        programs =
            live.attachments.flatMap { attachment in
                attachment.measurement.hooked.map {
                    (program: $0.program, interface: Optional(attachment.interface.name))
                }
            }
            + (events?.programs ?? []).map { ($0, nil) }
        guard enabled else {
            statistics = nil
            unavailable = nil
            return
        }
        do {
            statistics = try RunTimeStatistics()
            unavailable = nil
        } catch {
            statistics = nil
            unavailable = "\(error)"
        }
    }

    /// The run's programs: name, interface (nil for event programs) and
    /// kernel id, for the instance registry.
    public var identities: [(name: String, interface: String?, id: UInt32)] {
        programs.compactMap { entry in
            (try? entry.program.info()).map { (entry.program.name, entry.interface, $0.id) }
        }
    }

    /// The figures of programs known by kernel id (another process's), in
    /// the order given; nil for one that is no longer loaded.
    public static func read(ids: [UInt32]) -> [ProgramInfo?] {
        ids.map { try? LoadedPrograms.info(id: $0) }
    }

    /// One entry per program, in attachment order; none while the
    /// statistics are off. A program whose figures cannot be read is left out.
    public func read() -> [ProgramCost] {
        guard statistics != nil else { return [] }
        return programs.compactMap { entry in
            guard let info = try? entry.program.info() else { return nil }
            return ProgramCost(
                program: entry.program.name, interface: entry.interface, runs: info.runCount,
                nanoseconds: info.runTimeNanoseconds)
        }
    }
}
