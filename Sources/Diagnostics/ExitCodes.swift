/// Exit codes shared by vtapc, vtap and vtap's instance commands: the one
/// list README.md documents. A code keeps its meaning across tools, so a
/// pipeline can tell "fix your rules" (1) from "fix the host" (3).
public enum ExitCodes {
    public static let success: Int32 = 0
    /// The rules, object, manifest or capture are not usable.
    public static let rulesErrors: Int32 = 1
    public static let verifierRejected: Int32 = 2
    /// The kernel refused: no privilege or no BPF support.
    public static let environment: Int32 = 3
    public static let ioError: Int32 = 4
    /// An interface is missing or cannot be attached (vtap).
    public static let interface: Int32 = 5
    /// The metrics server cannot listen on its address (vtap).
    public static let listen: Int32 = 6
    /// vtap was given a rules file and no vtapc can be run to compile it.
    public static let compilerUnavailable: Int32 = 7
    /// Bad flags or arguments (swift-argument-parser's own code).
    public static let usage: Int32 = 64
    public static let internalError: Int32 = 70
}

/// The version both tools print and every manifest records.
public enum VtapVersion {
    public static let current = "0.1.0"
}
