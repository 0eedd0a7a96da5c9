import Foundation
import VtapSystem

/// The events file of `vtap run --events FILE`: one JSON line per event.
/// Lines are gathered and written whole, many to a `write(2)` (`flush()`
/// after each batch the ring buffer gave, or every 64 KiB): one write per
/// event held the reader to ~100,000 events a second, under what the
/// probes produce. A killed run leaves whole lines. `-` is standard output.
///
/// Thread-safety: `append` and `flush` from one thread (the tap's).
public final class EventLog: @unchecked Sendable {
    public let path: String
    private let descriptor: Int32
    private let owned: Bool
    private var pending: [UInt8] = []
    static let flushBytes = 1 << 16

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
        pending.append(contentsOf: line.utf8)
        pending.append(UInt8(ascii: "\n"))
        if pending.count >= Self.flushBytes { try flush() }
    }

    /// Writes every gathered line.
    public func flush() throws {
        guard !pending.isEmpty else { return }
        defer { pending.removeAll(keepingCapacity: true) }
        do {
            try pending.withUnsafeBytes { try Descriptor.writeAll(descriptor, $0) }
        } catch let error as SystemError {
            throw LogFileError(message: "cannot write events to \(path): \(error)", code: error.code)
        }
    }

    deinit {
        try? flush()
        if owned { close(descriptor) }
    }
}
