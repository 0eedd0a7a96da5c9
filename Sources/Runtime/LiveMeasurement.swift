import VtapBPF
import VtapMetrics
import VtapRuleModel

#if canImport(Glibc)
    import Glibc
#endif

/// A measurement attached to live interfaces: one loaded instance of the
/// program per interface, each on its own AF_PACKET socket (or, with
/// `attach: .tc`, on the interface's TCX ingress and egress links, and with
/// `.xdp` on its XDP link), so every count is known per interface and the
/// sum is the whole.
public final class LiveMeasurement: @unchecked Sendable {
    public struct Attachment {
        public let interface: NetworkInterface
        let measurement: LoadedMeasurement
        /// With `.socket`.
        let socket: PacketSocket?
        /// With `.tc` (ingress, then egress) and `.xdp`.
        let links: [InterfaceLink]
        let lock: InterfaceLock
    }

    public let object: MeasurementObject
    public private(set) var attachments: [Attachment] = []

    /// Attaches to `interfaces` (names), or to every interface that is up.
    public init(
        _ object: MeasurementObject, interfaces names: [String], direction: Settings.Direction? = nil,
        sharedMaps: [String: Int32] = [:], flowView: Bool = false, attach: LoadConfiguration.Attach = .socket
    ) throws {
        self.object = object
        if attach == .xdp {
            // XDP runs on the receive path only: sent packets, and a qlog
            // trace's sent segments, would be missing without a word.
            let settings = object.manifest.settings
            let counted = direction ?? settings.direction
            var needing: [String] = []
            if counted != .ingress { needing.append("DIRECTION \(counted.rawValue)") }
            if settings.events?.qlog == true { needing.append("QLOG (both directions of a connection)") }
            if !needing.isEmpty {
                throw RuntimeError.badInput(
                    "--attach xdp sees received packets only: \(needing.joined(separator: " and ")) "
                        + "need\(needing.count == 1 ? "s" : "") --attach socket or tc")
            }
        }
        let interfaces = try Self.resolve(names)
        for interface in interfaces {
            // Loading first: without privilege that is what fails, and says so.
            let link: LoadConfiguration.Link = Self.isEthernetLike(interface) ? .ethernet : .rawIP
            let measurement = try LoadedMeasurement(
                object,
                configuration: LoadConfiguration(
                    link: link, direction: direction, sharedMaps: sharedMaps, flowView: flowView, attach: attach))
            let lock = try InterfaceLock(interface: interface.name)
            do {
                // On TC both directions are linked, whatever DIRECTION says
                // (the program tallies the other direction as the socket
                // filter does); on XDP the receive path.
                var socket: PacketSocket?
                var links: [InterfaceLink] = []
                for (program, hook) in measurement.hooked {
                    if let hook {
                        links.append(try InterfaceLink(interface: interface.name, hook: hook, program: program))
                    } else {
                        socket = try PacketSocket(interface: interface.name, program: program)
                    }
                }
                attachments.append(
                    Attachment(interface: interface, measurement: measurement, socket: socket, links: links, lock: lock)
                )
            } catch let error as BPFError {
                throw RuntimeError.from(error, doing: "attaching to \(interface.name)", attach: attach)
            }
        }
    }

    public var interfaceNames: [String] { attachments.map(\.interface.name) }

    /// The attached interfaces whose name no longer names the interface
    /// vtap attached to: deleted, or deleted and made again (a new index;
    /// the AF_PACKET socket stays bound to the old one and counts nothing).
    public func vanishedInterfaces() -> [String] {
        attachments.filter { if_nametoindex($0.interface.name) != $0.interface.index }.map(\.interface.name)
    }

    /// Reads every instance's maps once.
    public func snapshots() throws -> [(source: String, snapshot: CounterSnapshot)] {
        try attachments.map { ($0.interface.name, try $0.measurement.snapshot()) }
    }

    /// Closes the sockets (detaching the program) and unloads; idempotent.
    public func detach() {
        for attachment in attachments {
            attachment.socket?.close()
            attachment.links.forEach { $0.detach() }
        }
        attachments.removeAll()
    }

    deinit { detach() }

    /// ARPHRD_ETHER and ARPHRD_LOOPBACK carry an Ethernet header; the rest
    /// (tun, wireguard, gtp: ARPHRD_NONE and friends) start at the IP header.
    static func isEthernetLike(_ interface: NetworkInterface) -> Bool {
        interface.linkType == 1 || interface.linkType == 772
    }

    static func resolve(_ names: [String]) throws -> [NetworkInterface] {
        do {
            if names.isEmpty {
                let up = try NetworkInterface.all().filter(\.isUp)
                guard !up.isEmpty else { throw RuntimeError.interface("no network interface is up") }
                return up
            }
            var seen = Set<String>()
            return try names.compactMap { name in
                guard seen.insert(name).inserted else { return nil }
                return try NetworkInterface.named(name)
            }
        } catch let error as BPFError {
            throw RuntimeError.from(error, doing: "finding interfaces")
        }
    }
}
