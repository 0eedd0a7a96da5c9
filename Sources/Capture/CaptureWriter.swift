import CPcap

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a pcap file with nanosecond timestamps (magic 0xa1b23c4d)
/// through libpcap's dumper; for tests and exports.
///
/// Call ``close()`` to flush and learn of write errors; deinit closes
/// without reporting them. Not thread-safe.
public final class CaptureWriter {
    public let path: String
    public let linkType: LinkType
    public let snapshotLength: Int
    private let pcap: OpaquePointer
    private var dumper: OpaquePointer?

    /// Creates (or truncates) `path`.
    ///
    /// - Throws: ``CaptureError`` `.fileNotFound` (missing directory),
    ///   `.permission`, or `.io` with libpcap's text.
    public init(path: String, linkType: LinkType = .ethernet, snapshotLength: Int = 262_144) throws {
        guard snapshotLength > 0, snapshotLength <= Int(Int32.max) else {
            throw CaptureError(.invalidArgument, path: path, message: "snapshot length \(snapshotLength)")
        }
        self.path = path
        self.linkType = linkType
        self.snapshotLength = snapshotLength
        guard
            let pcap = pcap_open_dead_with_tstamp_precision(
                linkType.rawValue, Int32(snapshotLength), UInt32(PCAP_TSTAMP_PRECISION_NANO))
        else {
            throw CaptureError(.io, path: path, message: "libpcap could not create a writer")
        }
        errno = 0
        guard let dumper = pcap_dump_open(pcap, path) else {
            let code = errno
            let message = pcap_geterr(pcap).map { String(cString: $0) } ?? ""
            pcap_close(pcap)
            switch code {
            case ENOENT, ENOTDIR: throw CaptureError(.fileNotFound, path: path, message: message)
            case EACCES, EPERM: throw CaptureError(.permission, path: path, message: message)
            default: throw CaptureError(.io, path: path, message: message)
            }
        }
        self.pcap = pcap
        self.dumper = dumper
    }

    deinit {
        if let dumper { pcap_dump_close(dumper) }
        pcap_close(pcap)
    }

    /// Appends one packet. `originalLength` defaults to `bytes.count`.
    public func write(_ bytes: [UInt8], timestampNanoseconds: UInt64, originalLength: Int? = nil) throws {
        guard let dumper else { throw CaptureError(.invalidArgument, path: path, message: "writer is closed") }
        let original = originalLength ?? bytes.count
        guard bytes.count <= snapshotLength, original >= bytes.count, original <= Int(UInt32.max) else {
            throw CaptureError(
                .invalidArgument, path: path,
                message:
                    "packet of \(bytes.count) bytes (original \(original)) does not fit snapshot length \(snapshotLength)"
            )
        }
        // The pcap record header has 32 unsigned bits of seconds.
        guard timestampNanoseconds / 1_000_000_000 <= UInt64(UInt32.max) else {
            throw CaptureError(
                .invalidArgument, path: path,
                message: "timestamp \(timestampNanoseconds) ns is past what pcap holds (2106)")
        }
        var header = pcap_pkthdr()
        header.ts.tv_sec = Int(timestampNanoseconds / 1_000_000_000)
        // With nanosecond precision the dumper writes tv_usec as nanoseconds.
        header.ts.tv_usec = Int(timestampNanoseconds % 1_000_000_000)
        header.caplen = UInt32(bytes.count)
        header.len = UInt32(original)
        var empty: UInt8 = 0
        bytes.withUnsafeBufferPointer { buffer in
            // pcap_dump's first argument is the dumper, passed as u_char *.
            if let base = buffer.baseAddress {
                pcap_dump(UnsafeMutablePointer<UInt8>(dumper), &header, base)
            } else {
                pcap_dump(UnsafeMutablePointer<UInt8>(dumper), &header, &empty)
            }
        }
        if let file = pcap_dump_file(dumper), ferror(file) != 0 {
            throw CaptureError(.io, path: path, message: "write failed")
        }
    }

    /// Appends `packet` (its bytes, timestamp and original length).
    public func write(_ packet: CapturedPacket) throws {
        try write(
            packet.bytes, timestampNanoseconds: packet.timestampNanoseconds, originalLength: packet.originalLength)
    }

    /// Flushes and closes the file; idempotent.
    public func close() throws {
        guard let dumper else { return }
        self.dumper = nil
        let flushed = pcap_dump_flush(dumper)
        let failed = pcap_dump_file(dumper).map { ferror($0) != 0 } ?? false
        pcap_dump_close(dumper)
        if flushed != 0 || failed { throw CaptureError(.io, path: path, message: "flush failed") }
    }
}
