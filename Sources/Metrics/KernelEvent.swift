import VtapRuleModel

/// One event the event programs logged (`struct vtap_event`), decoded.
public struct KernelEvent: Sendable, Equatable {
    /// The BPF clock (`bpf_ktime_get_ns`, CLOCK_MONOTONIC), as the packet
    /// program's counters use it.
    public var monotonicNanoseconds: UInt64
    public var kind: EventKind
    /// The socket's kernel address: every event of one connection has it.
    public var socket: UInt64
    public var cpu: UInt32
    public var pid: UInt32
    public var tid: UInt32
    /// The task's name when the event happened (`comm`).
    public var command: String
    /// The index of the first rule the 5-tuple matched.
    public var rule: Int
    /// Bytes (socket level; negative: an error), the new state, or the error.
    public var value: Int32
    /// Send/receive flags, the old state, or the reset reason.
    public var detail: Int32
    /// 4 or 6.
    public var ipVersion: Int
    public var ipProtocol: UInt16
    public var localAddress: String
    public var localPort: UInt16
    public var remoteAddress: String
    public var remotePort: UInt16
    /// TCP segments at the protocol level: the IP length and the flags.
    public var ipLength: UInt16
    public var tcpFlags: TCPFlags

    public init(
        monotonicNanoseconds: UInt64, kind: EventKind, socket: UInt64, cpu: UInt32, pid: UInt32, tid: UInt32,
        command: String, rule: Int, value: Int32, detail: Int32, ipVersion: Int, ipProtocol: UInt16,
        localAddress: String, localPort: UInt16, remoteAddress: String, remotePort: UInt16, ipLength: UInt16 = 0,
        tcpFlags: TCPFlags = []
    ) {
        self.ipLength = ipLength
        self.tcpFlags = tcpFlags
        self.monotonicNanoseconds = monotonicNanoseconds
        self.kind = kind
        self.socket = socket
        self.cpu = cpu
        self.pid = pid
        self.tid = tid
        self.command = command
        self.rule = rule
        self.value = value
        self.detail = detail
        self.ipVersion = ipVersion
        self.ipProtocol = ipProtocol
        self.localAddress = localAddress
        self.localPort = localPort
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
    }
}

/// What the event programs did over a run: `vtap_event_stats` summed over
/// CPUs, and what user space received per kind.
public struct EventTotals: Sendable, Equatable {
    /// By `EventStatSlot`.
    public var written: UInt64 = 0
    public var lost: UInt64 = 0
    public var capped: UInt64 = 0
    public var received: [EventKind: UInt64] = [:]

    public init() {}

    public var receivedTotal: UInt64 { received.values.reduce(0, +) }
}
