import Testing
import VtapBPF
import VtapTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Packet sockets with an attached filter, on the loopback interface.
@Suite struct BPFPacketSocketTests {
    @Test func listsInterfacesIncludingLoopback() throws {
        let interfaces = try NetworkInterface.all()
        let loopback = try #require(interfaces.first { $0.name == "lo" })
        #expect(loopback.index == 1)
        #expect(loopback.linkType == 772)
        #expect(loopback.linkTypeName == "loopback")
        #expect(loopback.isUp)
        #expect(try NetworkInterface.named("lo") == loopback)
        #expect(interfaces.map(\.index) == interfaces.map(\.index).sorted())
    }

    @Test func missingInterfaceIsNotFoundAndNamed() throws {
        let error = try #require(throws: BPFError.self) { try NetworkInterface.named("vtapnope0") }
        #expect(error.kind == .notFound)
        #expect(error.description == "find interface 'vtapnope0': not found [ENODEV]")
        let tooLong = try #require(throws: BPFError.self) {
            try NetworkInterface.named(String(repeating: "x", count: 40))
        }
        #expect(tooLong.kind == .notFound)
    }

    @Test(.kernel) func attachingToAMissingInterfaceFails() throws {
        let object = try BPFObject(elf: BPFTestPrograms.compile(BPFTestPrograms.counter), name: "vtap_attach")
        try object.load()
        let error = try #require(throws: BPFError.self) {
            try PacketSocket(interface: "vtapnope0", program: object.program(named: "vtap_count"))
        }
        #expect(error.kind == .notFound)
        #expect(error.description.contains("interface 'vtapnope0'"))
    }

    @Test(.kernel) func unloadedProgramCannotBeAttached() throws {
        let object = try BPFObject(elf: BPFTestPrograms.compile(BPFTestPrograms.counter), name: "vtap_attach")
        let error = try #require(throws: BPFError.self) {
            try PacketSocket(interface: "lo", program: object.program(named: "vtap_count"))
        }
        #expect(error.kind == .invalidArgument)
        #expect(error.description.contains("not loaded"))
    }

    @Test(.kernel) func filterOnLoopbackCountsThenDetaches() throws {
        let port = UInt16.random(in: 40000...60000)
        let receiver = try UDPSocket(bindingTo: port)
        var programIDs: [UInt32] = []
        do {
            let object = try BPFObject(elf: BPFTestPrograms.compile(BPFTestPrograms.counter), name: "vtap_live")
            try object.setGlobal("vtap_cfg_port", to: port)
            try object.load()
            let program = try object.program(named: "vtap_port_count")
            programIDs = object.programs.compactMap { try? $0.info().id }
            let hits = try object.map(named: "vtap_port_hits")
            func count() throws -> UInt64 {
                try hits.lookup(key: HostBytes.encode(UInt32(0))).flatMap { HostBytes.load(UInt64.self, from: $0) } ?? 0
            }

            let socket = try PacketSocket(interface: "lo", program: program)
            #expect(socket.interface.name == "lo")
            #expect(socket.fileDescriptor != nil)
            let sent = 5
            for index in 0..<sent { try receiver.send(Array("vtap \(index)".utf8), toPort: port) }
            // Loopback shows each datagram twice: outgoing, then incoming.
            let expected = UInt64(2 * sent)
            let arrived = try waitFor(expected, count)
            let seen = try count()
            #expect(arrived, "saw \(seen) of \(expected)")
            #expect(try count() == expected, "exactly our datagrams: the filter matches the port")

            socket.close()
            #expect(socket.fileDescriptor == nil)
            socket.close()  // idempotent
            for index in 0..<3 { try receiver.send(Array("after \(index)".utf8), toPort: port) }
            usleep(200_000)
            #expect(try count() == expected, "nothing counted after close: the filter is detached")
        }
        // Object and socket gone: the programs unload (socket filters after an RCU grace period).
        #expect(!programIDs.isEmpty)
        var leaked = Set(programIDs)
        for _ in 0..<50 where !leaked.isEmpty {
            leaked.formIntersection(try LoadedPrograms.ids())
            if !leaked.isEmpty { usleep(50_000) }
        }
        #expect(leaked.isEmpty, "programs still loaded: \(leaked)")
    }

    /// Polls `read` until it returns `expected` (or 2 s pass).
    private func waitFor(_ expected: UInt64, _ read: () throws -> UInt64) throws -> Bool {
        for _ in 0..<100 {
            if try read() >= expected { return true }
            usleep(20_000)
        }
        return false
    }
}

/// A UDP socket on 127.0.0.1 for sending test datagrams (and receiving them,
/// so no ICMP port-unreachable adds traffic).
final class UDPSocket {
    let fd: Int32

    init(bindingTo port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw SocketFailure(errno: errno) }
        var address = Self.loopback(port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw SocketFailure(errno: code)
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8], toPort port: UInt16) throws {
        var address = Self.loopback(port)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes {
                    sendto(fd, $0.baseAddress, $0.count, 0, socketAddress, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard sent == bytes.count else { throw SocketFailure(errno: errno) }
    }

    static func loopback(_ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}

struct SocketFailure: Error { var errno: Int32 }
