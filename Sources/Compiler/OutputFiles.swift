import Foundation
import VtapRuleModel
import VtapSystem

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

    /// Writes all files or none (see `AtomicFile`): paths appear only by
    /// the final renames, each file already on disk.
    public static func writeAll(_ files: [(path: String, data: Data)]) throws {
        do {
            try AtomicFile.writeAll(files)
        } catch let error as FileWriteError {
            throw CompileError.cannotWrite(path: error.path, reason: error.reason)
        }
    }
}
