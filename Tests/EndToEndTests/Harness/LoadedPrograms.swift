import Foundation
import VtapTestSupport

/// BPF programs loaded in the kernel, as bpftool lists them.
struct LoadedProgram: Sendable, Hashable {
    var id: Int
    var name: String
    /// Processes holding the program (bpftool's "pids"), when it can tell.
    var pids: [Int32]

    static let measureName = "vtap_measure"

    static func all() throws -> [LoadedProgram] {
        let result = try CommandRunner.check(["bpftool", "-j", "prog", "show"], timeout: .seconds(30))
        guard let list = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]]
        else { throw ReportError("unreadable bpftool output: \(result.standardOutput.prefix(200))") }
        return list.compactMap { entry in
            guard let id = entry["id"] as? Int else { return nil }
            let pids = (entry["pids"] as? [[String: Any]] ?? []).compactMap { ($0["pid"] as? Int).map(Int32.init) }
            return LoadedProgram(id: id, name: entry["name"] as? String ?? "", pids: pids)
        }
    }

    /// Every loaded `vtap_measure` (other test processes may hold theirs).
    static func measuring() throws -> [LoadedProgram] { try all().filter { $0.name == measureName } }
}
