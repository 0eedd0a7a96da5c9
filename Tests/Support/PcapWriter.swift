import Foundation

/// Classic pcap with nanosecond timestamps (magic 0xa1b23c4d) and
/// LINKTYPE_ETHERNET, written in this machine's byte order as readers expect.
public struct PcapWriter: Sendable {
    public static let nanosecondMagic: UInt32 = 0xA1B2_3C4D
    public static let linkTypeEthernet: UInt32 = 1

    public let snapLength: UInt32
    public private(set) var data: [UInt8] = []
    public private(set) var recordCount = 0

    public init(snapLength: UInt32 = 262_144) {
        self.snapLength = snapLength
        appendLittleEndian(Self.nanosecondMagic)
        appendLittleEndian(UInt16(2))  // version 2.4
        appendLittleEndian(UInt16(4))
        appendLittleEndian(UInt32(0))  // thiszone: timestamps are UTC
        appendLittleEndian(UInt32(0))  // sigfigs
        appendLittleEndian(snapLength)
        appendLittleEndian(Self.linkTypeEthernet)
    }

    /// Adds one record. `originalLength` (default: the frame's length) may
    /// exceed what is captured, as after snaplen truncation; frames longer
    /// than the snap length are cut to it.
    public mutating func append(_ frame: [UInt8], timestampNanoseconds: UInt64, originalLength: Int? = nil) {
        let original = originalLength ?? frame.count
        precondition(original >= frame.count, "the original length cannot be below the captured bytes")
        let captured = frame.prefix(Int(snapLength))
        appendLittleEndian(UInt32(truncatingIfNeeded: timestampNanoseconds / 1_000_000_000))
        appendLittleEndian(UInt32(truncatingIfNeeded: timestampNanoseconds % 1_000_000_000))
        appendLittleEndian(UInt32(captured.count))
        appendLittleEndian(UInt32(original))
        data += captured
        recordCount += 1
    }

    public func write(to url: URL) throws {
        try Data(data).write(to: url)
    }

    private mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { data += $0 }
    }
}
