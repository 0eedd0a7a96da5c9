import Foundation

/// A failed system call's errno, with the text `strerror` gives it: the one
/// errno type every module reports with.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A positive errno value.
    public var code: Int32

    public init(_ code: Int32) { self.code = code }

    /// The calling thread's errno, or EIO if a call failed without setting it.
    public static var current: SystemError { SystemError(errno == 0 ? EIO : errno) }

    public var description: String { Self.text(code) }

    /// `strerror_r`: thread-safe, unlike `strerror`, whose buffer is shared.
    public static func text(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        // Swift sees the XSI variant: 0, and the text in the buffer.
        guard strerror_r(code, &buffer, buffer.count) == 0 else { return "errno \(code)" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A reason for any error from a file operation, in `strerror`'s words
    /// when there is an errno under it, never a Foundation domain and code.
    public static func describe(_ error: Error) -> String {
        if let error = error as? SystemError { return error.description }
        let nsError = error as NSError
        if nsError.domain == NSPOSIXErrorDomain { return text(Int32(nsError.code)) }
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            return text(Int32(underlying.code))
        }
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError {
            return text(ENOENT)
        }
        return nsError.localizedDescription
    }
}

/// Plain descriptor I/O that every writer needs the same way.
public enum Descriptor {
    /// Writes every byte of `bytes` to `descriptor`: again after a signal
    /// (EINTR) and after a short write (a full disk), so a line or a file
    /// is never cut by anything but an error.
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        var written = 0
        while written < bytes.count {
            let count = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if count < 0 {
                let error = SystemError.current
                if error.code == EINTR { continue }
                throw error
            }
            written += count
        }
    }
}
