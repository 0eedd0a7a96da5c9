import Foundation
import VtapBPF

/// An accepted `VerifierReport` as a verdict entry of the `ProgramCache`
/// stores it: every figure vtapc reports and writes into the manifest, so
/// a compile with a cached verdict says and writes what the dry-run did.
struct CachedVerdict: Codable, Equatable {
    struct Program: Codable, Equatable {
        var name: String
        var section: String
        var type: ProgramType
        var stats: VerifierStats?
        var elfInstructionCount: Int
        var translatedInstructionCount: Int?
        var jitedSize: Int?
    }

    var objectName: String
    var programs: [Program]

    /// Nil for a report with a rejected program: only acceptances are kept.
    init?(_ report: VerifierReport) {
        guard report.accepted else { return nil }
        objectName = report.objectName
        programs = report.programs.map {
            Program(
                name: $0.name, section: $0.section, type: $0.type, stats: $0.stats,
                elfInstructionCount: $0.elfInstructionCount, translatedInstructionCount: $0.translatedInstructionCount,
                jitedSize: $0.jitedSize)
        }
    }

    var report: VerifierReport {
        VerifierReport(
            objectName: objectName,
            programs: programs.map {
                ProgramVerification(
                    accepted: $0.name, section: $0.section, type: $0.type, stats: $0.stats,
                    elfInstructionCount: $0.elfInstructionCount,
                    translatedInstructionCount: $0.translatedInstructionCount, jitedSize: $0.jitedSize)
            })
    }

    var bytes: [UInt8]? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { Array($0) }
    }

    init?(bytes: [UInt8]) {
        guard let decoded = try? JSONDecoder().decode(Self.self, from: Data(bytes)) else { return nil }
        self = decoded
    }
}
