import Foundation

/// Two network namespaces joined by a veth pair: a sender and a receiver,
/// nothing else. IPv6 is off on both ends so no MLD/ND packets spoil exact
/// counts, and no test traffic can reach the host's interfaces.
///
/// Names are `vt<pid>-<n>s` / `vt<pid>-<n>r` for both the namespace and its
/// interface (at most 15 characters). Call `shutdown()` (also run by
/// `deinit` and at process exit); namespaces left by a process that died
/// are removed by `sweepLeftovers()`, which the first lab of a process runs.
public final class NetworkLab: @unchecked Sendable {
    public enum Side: Sendable, Hashable { case sender, receiver }

    public static let prefixLength = 30
    public let name: String
    public let mtu: Int?
    private let addresses: (sender: UInt32, receiver: UInt32)
    private let lock = NSLock()
    private var backgroundCommands: [RunningCommand] = []
    private var isShutDown = false

    /// Builds the lab; throws (after cleaning up) if any `ip` step fails.
    public init(mtu: Int? = nil) throws {
        LabRegistry.sweepOnce()
        let index = LabRegistry.nextIndex()
        name = "vt\(getpid())-\(index)"
        self.mtu = mtu
        // A /30 in 10.213.0.0/16 per lab; unique per run, though each lab's
        // namespaces would keep even equal addresses apart.
        let subnet = IPAddressText.v4("10.213.0.0") + UInt32((Int(getpid()) &* 131 &+ index) % 16384) * 4
        addresses = (subnet + 1, subnet + 2)
        do {
            try build()
        } catch {
            shutdown()
            throw error
        }
    }

    public func namespace(_ side: Side) -> String {
        side == .sender ? name + "s" : name + "r"
    }

    /// The veth end inside `side`'s namespace.
    public func interface(_ side: Side) -> String { namespace(side) }

    public var receiverInterface: String { interface(.receiver) }
    public var senderInterface: String { interface(.sender) }

    /// The IPv4 address (dotted, without prefix) of `side`'s veth end.
    public func address(_ side: Side) -> String {
        IPAddressText.format(.v4(side == .sender ? addresses.sender : addresses.receiver))
    }

    /// Runs a command inside `side`'s namespace and waits for it.
    public func run(in side: Side, _ arguments: [String], timeout: Duration = .seconds(30)) throws -> CommandResult {
        try CommandRunner.run(["ip", "netns", "exec", namespace(side)] + arguments, timeout: timeout)
    }

    /// Starts a command inside `side`'s namespace; `shutdown()` ends it if
    /// the test has not.
    public func start(in side: Side, _ arguments: [String]) throws -> RunningCommand {
        let command = try RunningCommand(["ip", "netns", "exec", namespace(side)] + arguments)
        lock.withLock { backgroundCommands.append(command) }
        return command
    }

    /// Ends background commands and deletes both namespaces (and so the
    /// veth pair). Safe to call more than once.
    public func shutdown() {
        let commands: [RunningCommand]? = lock.withLock {
            guard !isShutDown else { return nil }
            isShutDown = true
            return backgroundCommands
        }
        guard let commands else { return }
        for command in commands where command.isRunning {
            command.terminate()
            _ = command.wait(timeout: .seconds(3))
        }
        for side in [Side.sender, .receiver] {
            _ = try? CommandRunner.run(["ip", "netns", "del", namespace(side)], timeout: .seconds(10))
            LabRegistry.forget(namespace(side))
        }
    }

    deinit { shutdown() }

    private func build() throws {
        for side in [Side.sender, .receiver] {
            LabRegistry.remember(namespace(side))
            try CommandRunner.check(["ip", "netns", "add", namespace(side)])
            // Before any interface exists, so none ever sends IPv6.
            try ipNetnsExec(
                side,
                [
                    "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1",
                ])
        }
        try CommandRunner.check([
            "ip", "link", "add", interface(.sender), "netns", namespace(.sender), "type", "veth",
            "peer", "name", interface(.receiver), "netns", namespace(.receiver),
        ])
        for side in [Side.sender, .receiver] {
            let device = interface(side)
            try ipNetnsExec(side, ["sysctl", "-q", "-w", "net.ipv6.conf.\(device).disable_ipv6=1"])
            if let mtu { try ip(side, ["link", "set", "dev", device, "mtu", String(mtu)]) }
            try ip(side, ["addr", "add", "\(address(side))/\(Self.prefixLength)", "dev", device])
            try ip(side, ["link", "set", "dev", "lo", "up"])
            try ip(side, ["link", "set", "dev", device, "up"])
        }
    }

    private func ip(_ side: Side, _ arguments: [String]) throws {
        try CommandRunner.check(["ip", "-n", namespace(side)] + arguments)
    }

    private func ipNetnsExec(_ side: Side, _ arguments: [String]) throws {
        try CommandRunner.check(["ip", "netns", "exec", namespace(side)] + arguments)
    }
}
