import VtapRuleModel

/// One connection's trace as qlog writes it: what was seen of it from one
/// vantage point, in order.
public struct TCPTrace: Sendable {
    /// Where the trace was taken: the side that opened the connection, the
    /// side that accepted it, or not known (no SYN was seen).
    public enum Vantage: String, Sendable {
        case client, server, unknown
    }

    public enum CloseReason: String, Sendable {
        /// Both FINs sent and the second one acknowledged.
        case fin
        /// A reset, from either side.
        case reset
        /// No segment for `TCPConnectionTracker.idleTimeout` while the run went on.
        case timeout
    }

    public struct Event: Sendable {
        public enum Kind: Sendable, Equatable {
            case connectionStarted
            case packetSent, packetReceived
            case connectionClosed(CloseReason)
            /// The local socket's TCP state changed (LEVELS connection):
            /// the names `ss` prints.
            case stateUpdated(old: String, new: String)
        }

        public var nanoseconds: Int64
        public var kind: Kind
        /// The segment of a packet event.
        public var segment: TCPSegment?
        /// Sequence and acknowledgement numbers less the first sequence
        /// number seen from each side, as tcpdump and Wireshark print them;
        /// nil before that side's first segment.
        public var relativeSequence: UInt32?
        public var relativeAcknowledgement: UInt32?
        /// Whether the first segment seen of its side in this trace.
        public var firstOfSide: Bool
        /// Sequence space already sent by this side (its highest end so far).
        public var retransmission: Bool
    }

    /// 32 hex digits from the two endpoints and the first sequence number
    /// seen: the same for a live run and a replay of its capture.
    public var groupID: String
    public var vantage: Vantage
    /// The side that sent the SYN; the first segment's sender when no SYN
    /// was seen.
    public var initiator: TCPSegment.Endpoint
    public var responder: TCPSegment.Endpoint
    public var ipVersion: Int
    /// The rule the connection's first segment matched.
    public var rule: Int
    public var interfaceIndex: UInt32
    public var events: [Event]
    /// MPTCP: the tokens of the connection's keys (MP_CAPABLE), and the
    /// token a subflow's MP_JOIN named.
    public var mptcpTokens: Set<UInt32> = []
    public var joinToken: UInt32?
    /// A subflow's MPTCP connection (the trace of its first subflow).
    public var parentGroupID: String?
    /// The subflows that joined this MPTCP connection, in the order they started.
    public var subflows: [TCPTrace] = []
    public var isMPTCP: Bool { !mptcpTokens.isEmpty || joinToken != nil }
    public var closed: Bool { events.contains { if case .connectionClosed = $0.kind { true } else { false } } }
}

/// Groups TCP segments into connections, one trace each, as they come (in
/// ring-buffer or capture order), and tells sent from received.
///
/// A connection is its two endpoints on one interface. A SYN for endpoints
/// whose connection has closed starts a new one (a port reused).
public struct TCPConnectionTracker: Sendable {
    /// Which side of a capture's connections the traces are written from:
    /// a capture does not say which way a packet went.
    public enum CaptureVantage: String, Sendable, CaseIterable {
        case client, server
    }

    private struct Key: Hashable {
        var interfaceIndex: UInt32
        var low: TCPSegment.Endpoint
        var high: TCPSegment.Endpoint
    }

    private struct Connection {
        var trace: TCPTrace
        /// The endpoint on this host's side.
        var local: TCPSegment.Endpoint
        var firstSequence: [TCPSegment.Endpoint: UInt32] = [:]
        var highestEnd: [TCPSegment.Endpoint: UInt32] = [:]
        var finSequence: [TCPSegment.Endpoint: UInt32] = [:]
        var finAcknowledged: Set<TCPSegment.Endpoint> = []
        var lastNanoseconds: Int64
    }

    private let captureVantage: CaptureVantage
    private var open: [Key: Connection] = [:]
    /// State changes of sockets whose connection has no segment yet (the
    /// socket enters SYN_SENT before its SYN is sent), by endpoint pair.
    private var pendingStates: [Pair: [StateChange]] = [:]
    private var interfaces: Set<UInt32> = []

    private struct Pair: Hashable {
        var low: TCPSegment.Endpoint
        var high: TCPSegment.Endpoint

        init(_ a: TCPSegment.Endpoint, _ b: TCPSegment.Endpoint) {
            (low, high) = (min(a, b), max(a, b))
        }
    }

    /// A TCP state change of a local socket (`sock:inet_sock_set_state`).
    public struct StateChange: Sendable, Equatable {
        public var nanoseconds: Int64
        public var local: TCPSegment.Endpoint
        public var remote: TCPSegment.Endpoint
        public var old: String
        public var new: String

        public init(
            nanoseconds: Int64, local: TCPSegment.Endpoint, remote: TCPSegment.Endpoint, old: String, new: String
        ) {
            self.nanoseconds = nanoseconds
            self.local = local
            self.remote = remote
            self.old = old
            self.new = new
        }
    }

    /// Adds a state change to the trace of its connection seen from its
    /// socket's side; a change of the other end's socket (both ends on
    /// this host) is not this trace's. One that comes before its
    /// connection's first segment waits for it, up to a second.
    public mutating func add(_ change: StateChange) {
        let pair = Pair(change.local, change.remote)
        // A state change names no interface: one lookup per interface seen.
        for interface in interfaces {
            let key = Key(interfaceIndex: interface, low: pair.low, high: pair.high)
            if open[key]?.local == change.local {
                open[key]?.trace.events.append(Self.event(change))
                return
            }
        }
        var waiting = pendingStates[pair, default: []].filter { change.nanoseconds - $0.nanoseconds < 1_000_000_000 }
        waiting.append(change)
        pendingStates[pair] = Array(waiting.suffix(8))
    }

    private static func event(_ change: StateChange) -> TCPTrace.Event {
        TCPTrace.Event(
            nanoseconds: change.nanoseconds, kind: .stateUpdated(old: change.old, new: change.new), firstOfSide: false,
            retransmission: false)
    }
    /// Traces no segment can be added to any more, oldest first.
    private var done: [TCPTrace] = []

    /// How long a connection may go without a segment before its trace
    /// is closed as timed out: 5 minutes. A connection that loses its path
    /// retransmits with back-off well within that (its segments keep the
    /// trace open); one idle past it is most likely gone, and keepalive's
    /// first probe (2 hours by default) would only split the trace.
    public static let idleTimeout: Int64 = 300_000_000_000

    public init(captureVantage: CaptureVantage = .client) {
        self.captureVantage = captureVantage
    }

    public mutating func add(_ segment: TCPSegment) {
        let key = Key(
            interfaceIndex: segment.interfaceIndex, low: min(segment.source, segment.destination),
            high: max(segment.source, segment.destination))
        interfaces.insert(segment.interfaceIndex)
        let opensAnew = segment.flags.contains(.syn) && !segment.flags.contains(.ack)
        if var connection = open[key], !(connection.trace.closed && opensAnew) {
            Self.append(segment, to: &connection)
            open[key] = connection
            return
        }
        if let old = open.removeValue(forKey: key) { done.append(old.trace) }
        var connection = start(segment)
        // Its socket's changes so far (SYN_SENT), from this side only.
        let pair = Pair(segment.source, segment.destination)
        let earlier = (pendingStates.removeValue(forKey: pair) ?? []).filter {
            $0.local == connection.local && segment.nanoseconds - $0.nanoseconds < 1_000_000_000
        }
        if let first = earlier.first {
            connection.trace.events[0].nanoseconds = min(first.nanoseconds, segment.nanoseconds)
            connection.trace.events += earlier.map(Self.event)
        }
        Self.append(segment, to: &connection)
        open[key] = connection
    }

    /// Every trace, closed or not, in the order the connections started;
    /// the tracker is empty afterwards.
    public mutating func finish() -> [TCPTrace] {
        let traces = done + open.values.map(\.trace)
        done = []
        open = [:]
        return Self.nestSubflows(
            traces.sorted { ($0.events.first?.nanoseconds ?? 0) < ($1.events.first?.nanoseconds ?? 0) })
    }

    /// Each MPTCP subflow under the connection whose key's token its
    /// MP_JOIN named: the packets themselves say it, so no path manager
    /// event is needed (a subflow whose connection was not seen stays on
    /// its own).
    static func nestSubflows(_ traces: [TCPTrace]) -> [TCPTrace] {
        var owner: [UInt32: Int] = [:]
        for (index, trace) in traces.enumerated() where trace.joinToken == nil {
            for token in trace.mptcpTokens { owner[token] = index }
        }
        var subflows: [Int: [TCPTrace]] = [:]
        var nested = Set<Int>()
        for (index, trace) in traces.enumerated() {
            guard let token = trace.joinToken, let parent = owner[token], parent != index else { continue }
            var subflow = trace
            subflow.parentGroupID = traces[parent].groupID
            subflows[parent, default: []].append(subflow)
            nested.insert(index)
        }
        return traces.enumerated().filter { !nested.contains($0.offset) }.map { index, trace in
            var trace = trace
            trace.subflows = subflows[index] ?? []
            return trace
        }
    }

    /// Closed connections with no segment for `quietNanoseconds` before
    /// `now`, and those a new connection replaced: their traces are final.
    ///
    /// A connection with no segment for `idleNanoseconds` is closed with
    /// reason `timeout` and handed out too: a run that lasts keeps only
    /// live connections in memory. (A connection that later resumes starts
    /// a trace of its own, from no SYN.)
    public mutating func takeFinished(
        now: Int64, quietNanoseconds: Int64, idleNanoseconds: Int64 = TCPConnectionTracker.idleTimeout
    ) -> [TCPTrace] {
        // MPTCP subflows wait for the end: a connection's subflows are
        // written with it, in one file.
        for (key, connection) in open where !connection.trace.isMPTCP {
            let quiet = now - connection.lastNanoseconds
            if connection.trace.closed, quiet >= quietNanoseconds {
                done.append(connection.trace)
                open.removeValue(forKey: key)
            } else if !connection.trace.closed, quiet >= idleNanoseconds {
                var trace = connection.trace
                trace.events.append(
                    TCPTrace.Event(
                        nanoseconds: now, kind: .connectionClosed(.timeout), firstOfSide: false,
                        retransmission: false))
                done.append(trace)
                open.removeValue(forKey: key)
            }
        }
        let finished = done.filter { !$0.isMPTCP }
        done.removeAll { !$0.isMPTCP }
        return finished
    }

    private mutating func start(_ segment: TCPSegment) -> Connection {
        let syn = segment.flags.contains(.syn)
        let ack = segment.flags.contains(.ack)
        // The SYN's sender opened it; a SYN-ACK's receiver did.
        let initiator = syn && ack ? segment.destination : segment.source
        let responder = initiator == segment.source ? segment.destination : segment.source
        let local: TCPSegment.Endpoint
        switch segment.direction {
        case .sent: local = segment.source
        case .received: local = segment.destination
        case .unknown: local = captureVantage == .client ? initiator : responder
        }
        let vantage: TCPTrace.Vantage = syn ? (local == initiator ? .client : .server) : .unknown
        let identity =
            "\(initiator.address)|\(initiator.port)|\(responder.address)|\(responder.port)|\(segment.sequence)"
        let trace = TCPTrace(
            groupID: String(ObjectDigest.sha256Hex(Array(identity.utf8)).prefix(32)), vantage: vantage,
            initiator: initiator, responder: responder, ipVersion: segment.ipVersion, rule: segment.rule,
            interfaceIndex: segment.interfaceIndex,
            events: [
                TCPTrace.Event(
                    nanoseconds: segment.nanoseconds, kind: .connectionStarted, firstOfSide: false,
                    retransmission: false)
            ])
        return Connection(trace: trace, local: local, lastNanoseconds: segment.nanoseconds)
    }

    private static func append(_ segment: TCPSegment, to connection: inout Connection) {
        let from = segment.source
        let to = segment.destination
        let firstOfSide = connection.firstSequence[from] == nil
        if firstOfSide { connection.firstSequence[from] = segment.sequence }
        let relativeSequence = connection.firstSequence[from].map { segment.sequence &- $0 }
        let relativeAcknowledgement =
            segment.flags.contains(.ack) ? connection.firstSequence[to].map { segment.acknowledgement &- $0 } : nil

        let end = segment.sequence &+ segment.sequenceLength
        var retransmission = false
        if segment.sequenceLength > 0 {
            if let highest = connection.highestEnd[from] {
                retransmission = Int32(bitPattern: end &- highest) <= 0
                if !retransmission { connection.highestEnd[from] = end }
            } else {
                connection.highestEnd[from] = end
            }
        }
        if !segment.options.isEmpty {
            let identity = MPTCPIdentity(options: segment.options)
            for key in identity.keys { connection.trace.mptcpTokens.insert(MPTCPIdentity.token(ofKey: key)) }
            if let token = identity.joinToken, segment.flags.contains(.syn) { connection.trace.joinToken = token }
        }
        let kind: TCPTrace.Event.Kind = from == connection.local ? .packetSent : .packetReceived
        connection.trace.events.append(
            TCPTrace.Event(
                nanoseconds: segment.nanoseconds, kind: kind, segment: segment, relativeSequence: relativeSequence,
                relativeAcknowledgement: relativeAcknowledgement, firstOfSide: firstOfSide,
                retransmission: retransmission))
        connection.lastNanoseconds = segment.nanoseconds

        guard !connection.trace.closed else { return }
        if segment.flags.contains(.rst) {
            connection.trace.events.append(
                TCPTrace.Event(
                    nanoseconds: segment.nanoseconds, kind: .connectionClosed(.reset), firstOfSide: false,
                    retransmission: false))
            return
        }
        if segment.flags.contains(.fin) {
            connection.finSequence[from] = segment.sequence &+ UInt32(truncatingIfNeeded: segment.payloadLength)
        }
        if segment.flags.contains(.ack), let peerFin = connection.finSequence[to],
            segment.acknowledgement == peerFin &+ 1
        {
            connection.finAcknowledged.insert(to)
        }
        // Closed by FINs once each side's FIN is acknowledged.
        if connection.finAcknowledged.count == 2 {
            connection.trace.events.append(
                TCPTrace.Event(
                    nanoseconds: segment.nanoseconds, kind: .connectionClosed(.fin), firstOfSide: false,
                    retransmission: false))
        }
    }
}
