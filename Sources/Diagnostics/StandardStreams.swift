import Foundation

/// Text to standard output and standard error without trapping:
/// `FileHandle.write(_: Data)` traps (a `try!` inside Foundation) when the
/// stream is closed or full, so every tool writes through these instead.
public enum StandardStreams {
    /// Writes `text` to standard output; throws when it cannot (a closed
    /// pipe, a full disk), for the caller to report and exit.
    public static func writeOutput(_ text: String) throws {
        try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
    }

    /// Writes `text` to standard error. A failure is dropped: there is no
    /// stream left to report it on.
    public static func writeError(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
    }
}
