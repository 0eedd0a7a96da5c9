import Foundation
import VtapSystem

/// The events file of `vtap run --events FILE`: one JSON line per event,
/// each written with a single `write(2)` (as `LogFile` does), so a killed
/// run leaves whole lines. `-` is standard output.
public final class EventLog: Sendable {
    public let path: String
    private let descriptor: Int32
    private let owned: Bool

    /// Creates or truncates the file; a `LogFileError` names it when it
    /// cannot be written.
    public init(path: String) throws {
        self.path = path
        if path == "-" {
            descriptor = STDOUT_FILENO
            owned = false
            return
        }
        var fd: Int32
        repeat { fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            let code = errno
            throw LogFileError(message: "cannot write events to \(path): \(SystemError.text(code))", code: code)
        }
        descriptor = fd
        owned = true
    }

    public func append(_ line: String) throws {
        let bytes = Array((line + "\n").utf8)
        do {
            try bytes.withUnsafeBytes { try Descriptor.writeAll(descriptor, $0) }
        } catch let error as SystemError {
            throw LogFileError(message: "cannot write events to \(path): \(error)", code: error.code)
        }
    }

    deinit { if owned { close(descriptor) } }
}
