import Foundation

/// A fresh directory under the system temporary directory, removed when
/// the last reference goes away.
public final class TemporaryDirectory: Sendable {
    public let url: URL

    public init(prefix: String = "vtap-test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(at: url) }
}
