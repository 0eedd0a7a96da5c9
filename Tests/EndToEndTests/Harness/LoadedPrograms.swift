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

    /// Every loaded packet program of vtap's: the socket filter
    /// `vtap_measure` and the TC pair `vtap_measure_tc_ingress`/`_egress`
    /// (other test processes may hold theirs).
    static func measuring() throws -> [LoadedProgram] { try all().filter { $0.name.hasPrefix(measureName) } }

    /// The ids of the programs held through a descriptor (a program's, or
    /// a link's, whose fdinfo names its program) by running processes whose
    /// command line does not mention `mention`, read from /proc: other
    /// tests' programs, while their processes run.
    static func heldByOtherProcesses(notMentioning mention: String) -> Set<Int> {
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var ids = Set<Int>()
        for entry in processes {
            guard let pid = Int32(entry) else { continue }
            let commandLine = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            if !String(decoding: commandLine, as: UTF8.self).contains(mention) {
                ids.formUnion(programIDs(heldBy: pid))
            }
        }
        return ids
    }

    /// `prog_id` of every BPF descriptor of a process (a program's, or a
    /// link's, whose fdinfo names its program).
    static func programIDs(heldBy pid: Int32) -> Set<Int> {
        let directory = "/proc/\(pid)/fdinfo"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var ids = Set<Int>()
        for entry in entries {
            guard let text = try? String(contentsOfFile: "\(directory)/\(entry)", encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("prog_id:") {
                if let id = Int(line.dropFirst("prog_id:".count).trimmingCharacters(in: .whitespaces)) {
                    ids.insert(id)
                }
            }
        }
        return ids
    }

    /// The program ids of every BPF link the kernel holds (TCX links among
    /// them; bpftool 7.1 names their type only by number).
    static func linkedProgramIDs() throws -> Set<Int> {
        let result = try CommandRunner.check(["bpftool", "-j", "link", "show"], timeout: .seconds(30))
        guard let list = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]]
        else { throw ReportError("unreadable bpftool output: \(result.standardOutput.prefix(200))") }
        return Set(list.compactMap { $0["prog_id"] as? Int })
    }

    /// Those of `ids` still loaded as `vtap_measure` after waiting up to
    /// `timeout` for them to go: a socket's filter is released after an
    /// RCU grace period, so a program outlives its process by a moment.
    static func stillMeasuring(_ ids: Set<Int>, timeout: Duration = .seconds(5)) throws -> Set<Int> {
        let deadline = ContinuousClock.now + timeout
        var left = ids
        while !left.isEmpty {
            left = ids.intersection(Set(try measuring().map(\.id)))
            if left.isEmpty || ContinuousClock.now >= deadline { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return left
    }
}
