import Foundation
import VtapRuleModel

/// Writes an object and its manifest so that either both appear, complete,
/// or neither does: each goes to a temporary file beside its target first.
public enum OutputFiles {
    public static func encodeManifest(_ manifest: Manifest) throws -> Data {
        do {
            return try manifest.encoded()
        } catch {
            throw CompileError.internalError("cannot encode the manifest: \(error)")
        }
    }

    /// Writes all files or none; paths are created only by the final renames.
    public static func writeAll(_ files: [(path: String, data: Data)]) throws {
        var staged: [(temporary: String, final: String)] = []
        func discard() { staged.forEach { unlink($0.temporary) } }
        for file in files {
            let temporary = file.path + ".tmp-\(getpid())"
            do {
                try file.data.write(to: URL(fileURLWithPath: temporary))
            } catch {
                discard()
                unlink(temporary)
                throw CompileError.cannotWrite(path: file.path, reason: RulesCompiler.reason(error))
            }
            staged.append((temporary, file.path))
        }
        var placed: [String] = []
        for entry in staged {
            if rename(entry.temporary, entry.final) != 0 {
                let reason = String(cString: strerror(errno))
                // A half-written pair is worse than none.
                placed.forEach { unlink($0) }
                discard()
                throw CompileError.cannotWrite(path: entry.final, reason: reason)
            }
            placed.append(entry.final)
        }
    }
}
