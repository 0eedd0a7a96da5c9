import VtapBPF
import VtapMetrics
import VtapRuleModel

/// How an instance of the object is set up before load. These are the
/// template's `vtap_cfg_*` read-only globals; the verifier prunes what
/// they switch off.
public struct LoadConfiguration: Sendable, Equatable {
    public enum Link: UInt32, Sendable {
        case ethernet = 0
        /// Interfaces without a link-layer header (tun, wireguard, gtp).
        case rawIP = 1
    }

    /// Where the packet program runs live.
    public enum Attach: String, Sendable, CaseIterable {
        /// A socket filter on an AF_PACKET socket (every kernel).
        case socket
        /// TC programs on TCX links, ingress and egress (Linux ≥ 6.6).
        case tc
        /// An XDP program on the receive path (received packets only).
        case xdp

        /// The packet programs the mode loads, each with its link hook (nil:
        /// the AF_PACKET socket's filter).
        public var programs: [(name: String, hook: InterfaceLink.Hook?)] {
            switch self {
            case .socket: [(ObjectContract.programName, nil)]
            case .tc:
                [(ObjectContract.tcIngressProgramName, .tcxIngress), (ObjectContract.tcEgressProgramName, .tcxEgress)]
            case .xdp: [(ObjectContract.xdpProgramName, .xdp)]
            }
        }
    }

    /// Packets come from BPF_PROG_TEST_RUN with the capture's time and length.
    public var replay: Bool
    /// Return the per-packet verdict (tests and replay only).
    public var verdict: Bool
    public var link: Link
    /// `nil` keeps the rules file's DIRECTION.
    public var direction: Settings.Direction?
    /// Maps another loaded object already has, by name, to use instead of
    /// this instance's own (the events' ring buffer and its counters).
    public var sharedMaps: [String: Int32]
    /// Keep the per-flow view (`--flows`); without it its map shrinks to
    /// one entry and the verifier drops the code that fills it.
    public var flowView: Bool
    /// Which packet programs are loaded: the socket filter, the TC pair, or
    /// the XDP program.
    public var attach: Attach

    public init(
        replay: Bool = false, verdict: Bool = false, link: Link = .ethernet, direction: Settings.Direction? = nil,
        sharedMaps: [String: Int32] = [:], flowView: Bool = false, attach: Attach = .socket
    ) {
        self.replay = replay
        self.verdict = verdict
        self.link = link
        self.direction = direction
        self.sharedMaps = sharedMaps
        self.flowView = flowView
        self.attach = attach
    }

    public static let live = LoadConfiguration()
    public static let replay = LoadConfiguration(replay: true, verdict: true)
}

/// One loaded instance of a measurement object: its program and maps live
/// in the kernel until this is released.
public final class LoadedMeasurement: @unchecked Sendable {
    public let object: MeasurementObject
    public let configuration: LoadConfiguration
    let bpf: BPFObject
    /// The first of ``hooked``: the socket filter with `.socket`, the
    /// ingress program otherwise.
    public let program: BPFProgram
    /// The attach mode's packet programs with their link hooks (nil for
    /// the socket filter), in ``LoadConfiguration/Attach/programs``' order.
    public let hooked: [(program: BPFProgram, hook: InterfaceLink.Hook?)]
    let ruleStats: BPFMap
    let protocolStats: BPFMap
    let totals: BPFMap
    let decoder: CounterDecoder
    /// The sequence table, for its fill; nil in objects without one.
    let flows: BPFMap?
    /// The per-flow view and its key decoder, with `flowView` only.
    let flowView: (map: BPFMap, keys: FlowKeyDecoder)?

    public init(_ object: MeasurementObject, configuration: LoadConfiguration) throws {
        self.object = object
        self.configuration = configuration
        self.decoder = try CounterDecoder(object.manifest)
        let flowKeys = FlowKeyDecoder(object.manifest)
        let hasView = object.manifest.map(named: ObjectContract.flowViewMap) != nil
        if configuration.flowView, flowKeys == nil || !hasView {
            throw RuntimeError.badInput(
                "\(object.origin) has no per-flow view for --flows (built by an older vtapc): compile the rules again")
        }
        do {
            bpf = try BPFObject(elf: object.elf, name: "vtap")
            try bpf.setGlobal(ObjectContract.replayConfig, to: UInt32(configuration.replay ? 1 : 0))
            try bpf.setGlobal(ObjectContract.verdictConfig, to: UInt32(configuration.verdict ? 1 : 0))
            try bpf.setGlobal(ObjectContract.linkConfig, to: configuration.link.rawValue)
            if let direction = configuration.direction {
                try bpf.setGlobal(ObjectContract.directionConfig, to: direction.contractValue)
            }
            if hasView {
                try bpf.setGlobal(ObjectContract.flowViewConfig, to: UInt32(configuration.flowView ? 1 : 0))
                if !configuration.flowView { try bpf.map(named: ObjectContract.flowViewMap).setMaxEntries(1) }
            }
            for (name, fd) in configuration.sharedMaps.sorted(by: { $0.key < $1.key }) {
                try bpf.map(named: name).reuse(fileDescriptor: fd)
            }
            // Only the packet programs this attach mode uses are loaded
            // (each one loaded is one more verifier pass).
            let wanted = configuration.attach.programs
            let names = Set(bpf.programs.map(\.name))
            if !wanted.allSatisfy({ names.contains($0.name) }) {
                throw RuntimeError.badInput(
                    "\(object.origin) has no programs for --attach \(configuration.attach) (built by an older vtapc): compile the rules again"
                )
            }
            for candidate in bpf.programs where ObjectContract.packetProgramNames.contains(candidate.name) {
                try candidate.setAutoload(wanted.contains { $0.name == candidate.name })
            }
            for (global, value) in wanted.flatMap({ ObjectContract.programGlobals[$0.name] ?? [:] }) {
                try bpf.setGlobal(global, to: value)
            }
            try bpf.load()
            let opened = bpf
            let programs = try wanted.map { (program: try opened.program(named: $0.name), hook: $0.hook) }
            hooked = programs
            program = programs[0].program
            ruleStats = try bpf.map(named: ObjectContract.ruleStatsMap)
            protocolStats = try bpf.map(named: ObjectContract.protocolStatsMap)
            totals = try bpf.map(named: ObjectContract.totalsMap)
            flows =
                object.manifest.map(named: ObjectContract.flowsMap) == nil
                ? nil : try bpf.map(named: ObjectContract.flowsMap)
            if configuration.flowView, let flowKeys {
                flowView = (try bpf.map(named: ObjectContract.flowViewMap), flowKeys)
            } else {
                flowView = nil
            }
        } catch let error as BPFError {
            throw RuntimeError.from(error, doing: "loading \(object.origin)", attach: configuration.attach)
        } catch let error as RuntimeError {
            throw error
        } catch {
            throw RuntimeError.internalError("loading \(object.origin): \(error)")
        }
    }

    /// Reads every counter map once.
    public func snapshot() throws -> CounterSnapshot {
        do {
            let rules = try ruleStats.snapshot()
            let protocols = try protocolStats.snapshot()
            let totals = try totals.snapshot()
            let slots = object.manifest.rules.count * ProtocolClass.allCases.count
            var snapshot = CounterSnapshot(
                ruleClasses: (0..<min(slots, rules.entryCount)).map { decoder.counters(rules, index: $0) },
                protocols: (0..<protocols.entryCount).map { decoder.counters(protocols, index: $0) },
                totals: (0..<totals.entryCount).map { decoder.tally(totals, index: $0) })
            snapshot.flowsHeld = try flows?.entryCount()
            if let flowView {
                let (keys, values) = try flowView.map.hashSnapshot()
                for (index, bytes) in keys.enumerated() {
                    guard let key = flowView.keys.key(bytes) else { continue }
                    snapshot.flows[key] = decoder.counters(values, index: index, base: flowView.keys.countersOffset)
                }
            }
            return snapshot
        } catch let error as BPFError {
            throw RuntimeError.from(error, doing: "reading counters")
        } catch {
            throw RuntimeError.internalError("reading counters: \(error)")
        }
    }

    /// Where the program's file descriptor is needed (socket attach).
    public var programFileDescriptor: Int32? { program.fileDescriptor }

    /// The loaded object, for the layer that attaches it.
    public var bpfObject: BPFObject { bpf }
}
