import Foundation

/// The Linux capabilities vtap's commands use, and which of them this
/// process has (its effective set, from /proc/self/status): so a refusal
/// names what is missing instead of listing everything that might be.
public enum Capability: Int, Sendable, CaseIterable, CustomStringConvertible {
    case netAdmin = 12
    case netRaw = 13
    case sysAdmin = 21
    case perfmon = 38
    case bpf = 39

    public var description: String {
        switch self {
        case .netAdmin: "CAP_NET_ADMIN"
        case .netRaw: "CAP_NET_RAW"
        case .sysAdmin: "CAP_SYS_ADMIN"
        case .perfmon: "CAP_PERFMON"
        case .bpf: "CAP_BPF"
        }
    }

    /// What loading a measurement and attaching it to a packet socket
    /// takes (README, "Least privilege").
    public static let measuring: [Capability] = [.bpf, .perfmon, .netRaw]

    /// This process's effective set; nil when it cannot be read.
    public static func effective(status: String? = nil) -> Set<Capability>? {
        let text = status ?? (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8))
        guard let line = text?.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
            let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return nil }
        return Set(allCases.filter { mask >> UInt64($0.rawValue) & 1 == 1 })
    }

    /// Those of `needed` the effective set lacks; CAP_SYS_ADMIN stands in
    /// for CAP_BPF and CAP_PERFMON, as the kernel lets it. Empty when none
    /// is missing or the set cannot be read.
    public static func missing(_ needed: [Capability], from effective: Set<Capability>? = Capability.effective())
        -> [Capability]
    {
        guard let effective else { return [] }
        return needed.filter { capability in
            !effective.contains(capability)
                && !((capability == .bpf || capability == .perfmon) && effective.contains(.sysAdmin))
        }
    }
}
