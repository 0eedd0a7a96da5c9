import CPcap

#if canImport(Glibc)
    import Glibc
#endif

/// One packet from a capture file.
public struct CapturedPacket: Sendable, Equatable {
    /// Nanoseconds since the Unix epoch (exact for nanosecond captures;
    /// microsecond captures are scaled by 1000). pcap files reach 2106.
    public var timestampNanoseconds: UInt64
    /// Bytes present in the file (≤ ``originalLength`` when a snapshot length cut it).
    public var capturedLength: Int
    /// The packet's length on the wire.
    public var originalLength: Int
    /// The captured bytes, in the file's link-layer framing.
    public var bytes: [UInt8]

    public init(timestampNanoseconds: UInt64, originalLength: Int? = nil, bytes: [UInt8]) {
        self.timestampNanoseconds = timestampNanoseconds
        self.capturedLength = bytes.count
        self.originalLength = originalLength ?? bytes.count
        self.bytes = bytes
    }
}

/// Reads a pcap or pcapng file packet by packet through libpcap, with
/// nanosecond timestamps. Streaming: memory stays constant whatever the
/// file's size (one packet at a time).
///
/// Not thread-safe: use one reader from one thread at a time.
public final class CaptureReader {
    /// The file being read.
    public let path: String
    /// The file's link-layer type (for pcapng, the first interface's).
    public let linkType: LinkType
    /// The file's snapshot length.
    public let snapshotLength: Int
    /// Packets returned so far.
    public private(set) var packetsRead = 0

    private let handle: OpaquePointer
    private var finished = false
    /// The bytes a reader made with `init(bytes:name:)` reads, freed after
    /// libpcap closes the stream over them.
    private var memory: UnsafeMutableRawBufferPointer?

    /// Opens `path` for reading.
    ///
    /// - Throws: ``CaptureError`` `.fileNotFound`, `.permission`,
    ///   `.notACaptureFile`, `.truncated` (header cut short) or `.io`.
    /// `-` is standard input (libpcap reads it as such), for
    /// `tcpdump -w - | vtap replay OBJ -`.
    public init(path: String) throws {
        self.path = path
        var status = stat()
        if path == "-" {
            // libpcap's own stdin; a pipe needs no stat.
        } else if stat(path, &status) != 0 {
            let code = errno
            switch code {
            case ENOENT, ENOTDIR: throw CaptureError(.fileNotFound, path: path, message: "")
            case EACCES, EPERM: throw CaptureError(.permission, path: path, message: "")
            default: throw CaptureError(.io, path: path, message: systemText(code))
            }
        }
        if status.st_mode & S_IFMT == S_IFDIR {
            throw CaptureError(.notACaptureFile, path: path, message: "is a directory")
        }
        let opened = try Self.opening(path) {
            pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), $0)
        }
        handle = opened
        linkType = LinkType(rawValue: pcap_datalink(opened))
        snapshotLength = Int(pcap_snapshot(opened))
    }

    /// Reads a capture held in memory, through the same libpcap as a file
    /// (a stream over the bytes): for the fuzz target, which ran 1,150
    /// inputs a second writing each to a file first. `name` stands for the
    /// path in errors.
    public init(bytes: [UInt8], name: String) throws {
        path = name
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        copy.copyBytes(from: bytes)
        guard let stream = fmemopen(copy.baseAddress, bytes.count, "rb") else {
            let code = errno
            copy.deallocate()
            throw CaptureError(.io, path: name, message: systemText(code))
        }
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard
            let opened = pcap_fopen_offline_with_tstamp_precision(
                stream, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
        else {
            let code = errno
            fclose(stream)
            copy.deallocate()
            throw Self.classifyOpenFailure(message: cString(errorBuffer), errno: code, path: name)
        }
        handle = opened
        memory = copy
        linkType = LinkType(rawValue: pcap_datalink(opened))
        snapshotLength = Int(pcap_snapshot(opened))
    }

    deinit {
        pcap_close(handle)
        memory?.deallocate()
    }

    /// libpcap's open of a file or a stream, with its error buffer; a
    /// failure classified for `path`.
    private static func opening(_ path: String, _ open: (UnsafeMutablePointer<CChar>) -> OpaquePointer?) throws
        -> OpaquePointer
    {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let opened = errorBuffer.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap(open) }) else {
            let code = errno
            throw classifyOpenFailure(message: cString(errorBuffer), errno: code, path: path)
        }
        return opened
    }

    /// The next packet, or nil at the end of the file.
    ///
    /// - Throws: ``CaptureError`` `.truncated` if the file ends inside a
    ///   packet, `.io` for other read errors. After an error or the end,
    ///   every further call returns nil.
    public func next() throws -> CapturedPacket? {
        guard !finished else { return nil }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let result = pcap_next_ex(handle, &header, &data)
        switch result {
        case 1:
            guard let header, let data else {
                finished = true
                throw CaptureError(.io, path: path, message: "libpcap returned a packet without data")
            }
            let captured = Int(header.pointee.caplen)
            // pcap stores seconds as an unsigned 32-bit number; libpcap hands
            // them over sign-extended, so times after 2038 arrive negative.
            let rawSeconds = header.pointee.ts.tv_sec
            let seconds =
                rawSeconds < 0 && rawSeconds >= Int(Int32.min)
                ? UInt64(UInt32(bitPattern: Int32(rawSeconds))) : UInt64(clamping: rawSeconds)
            // With nanosecond precision, libpcap stores nanoseconds in tv_usec.
            let fraction = UInt64(clamping: header.pointee.ts.tv_usec)
            let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            let timestamp = overflow ? UInt64.max : scaled.addingReportingOverflow(fraction).partialValue
            packetsRead += 1
            // A record claiming fewer bytes on the wire than it holds (the
            // fuzzer wrote one; libpcap passes it on) had at least what it
            // holds on the wire: counted as such, never as less.
            return CapturedPacket(
                timestampNanoseconds: timestamp, originalLength: max(Int(header.pointee.len), captured),
                bytes: Array(UnsafeBufferPointer(start: data, count: captured)))
        case PCAP_ERROR_BREAK:
            finished = true
            return nil
        default:
            finished = true
            let message = pcap_geterr(handle).map { String(cString: $0) } ?? "read failed"
            let kind: CaptureError.Kind = message.contains("truncated") ? .truncated : .io
            throw CaptureError(kind, path: path, message: "after packet \(packetsRead): \(message)")
        }
    }

    /// Calls `body` with every remaining packet, in file order.
    public func forEach(_ body: (CapturedPacket) throws -> Void) throws {
        while let packet = try next() { try body(packet) }
    }

    /// Every remaining packet; for small files (tests) only.
    public func readAll() throws -> [CapturedPacket] {
        var packets: [CapturedPacket] = []
        try forEach { packets.append($0) }
        return packets
    }

    /// `packet` as an Ethernet frame (see ``EthernetFraming``), lengths
    /// adjusted by the header's change in size.
    ///
    /// - Throws: ``CaptureError`` `.unsupportedLinkType` naming this file's
    ///   link type, or `.malformedPacket`.
    public func ethernetPacket(_ packet: CapturedPacket) throws -> CapturedPacket {
        do {
            let frame = try EthernetFraming.frame(packet.bytes, linkType: linkType)
            var converted = packet
            converted.bytes = frame
            converted.capturedLength = frame.count
            converted.originalLength = EthernetFraming.ethernetLength(
                originalLength: packet.originalLength, capturedLength: packet.capturedLength, frameLength: frame.count)
            return converted
        } catch var error as CaptureError {
            error.path = path
            if error.kind == .malformedPacket { error.message = "packet \(packetsRead): \(error.message)" }
            throw error
        }
    }

    /// The next packet as an Ethernet frame, or nil at the end.
    public func nextEthernetPacket() throws -> CapturedPacket? {
        try next().map(ethernetPacket)
    }

    static func classifyOpenFailure(message: String, errno code: Int32, path: String) -> CaptureError {
        let lowered = message.lowercased()
        if lowered.contains("unknown file format") || lowered.contains("bad dump file format")
            || lowered.contains("not a pcap") || lowered.contains("unsupported")
        {
            return CaptureError(.notACaptureFile, path: path, message: message)
        }
        if lowered.contains("truncated") {
            return CaptureError(.truncated, path: path, message: message)
        }
        if code == ENOENT { return CaptureError(.fileNotFound, path: path, message: message) }
        if code == EACCES || code == EPERM { return CaptureError(.permission, path: path, message: message) }
        return CaptureError(.io, path: path, message: message)
    }
}

func systemText(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard strerror_r(code, &buffer, buffer.count) == 0 else { return "errno \(code)" }
    return cString(buffer)
}

/// The text of a NUL-terminated C buffer.
func cString(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
