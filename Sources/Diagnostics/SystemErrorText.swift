import Foundation

/// One-line reasons for failed system calls and Foundation file errors, in
/// the words `strerror` uses ("No such file or directory"), never a
/// Foundation domain and code.
public enum SystemErrorText {
    /// `strerror_r`: thread-safe, unlike `strerror`, whose buffer is shared.
    public static func errno(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        // Swift sees the XSI variant: 0 and the text in the buffer.
        guard strerror_r(code, &buffer, buffer.count) == 0 else { return "error \(code)" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The POSIX reason under a Foundation error when there is one.
    public static func describe(_ error: Error) -> String {
        let nsError = error as NSError
        if nsError.domain == NSPOSIXErrorDomain { return errno(Int32(nsError.code)) }
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            return errno(Int32(underlying.code))
        }
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError {
            return "No such file or directory"
        }
        return nsError.localizedDescription
    }
}
