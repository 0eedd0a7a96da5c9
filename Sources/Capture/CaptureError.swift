/// An error reading or writing a capture file: one line naming the file
/// and why, with libpcap's own text when it gave one.
public struct CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case fileNotFound
        /// No permission to read or write the file.
        case permission
        /// The file is neither pcap nor pcapng.
        case notACaptureFile
        /// The file ends in the middle of a header or packet.
        case truncated
        /// A link type vtap cannot turn into Ethernet frames.
        case unsupportedLinkType(LinkType)
        /// A packet too short or inconsistent for its link type.
        case malformedPacket
        /// A caller error (packet longer than the snapshot length, writer closed, ...).
        case invalidArgument
        /// Any other I/O or libpcap failure.
        case io
    }

    public var kind: Kind
    /// The capture file, when there is one.
    public var path: String?
    /// libpcap's text or our own detail (one line).
    public var message: String

    public init(_ kind: Kind, path: String?, message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String {
        let reason: String
        switch kind {
        case .fileNotFound: reason = "no such file"
        case .permission: reason = "permission denied"
        case .notACaptureFile: reason = "not a pcap or pcapng file"
        case .truncated: reason = "truncated capture file"
        case .unsupportedLinkType(let type): reason = "unsupported link type \(type)"
        case .malformedPacket: reason = "malformed packet"
        case .invalidArgument: reason = "invalid argument"
        case .io: reason = "I/O error"
        }
        var text = path.map { "\($0): \(reason)" } ?? reason
        if !message.isEmpty { text += ": \(message)" }
        return String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
