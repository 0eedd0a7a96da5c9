import Foundation

/// trafgen (netsniff-ng) configs that send exactly the bytes a test crafted.
public enum TrafgenConfig {
    /// One `{ 0x.., ... }` block per frame, in order; `names` become comments.
    public static func text(for frames: [[UInt8]], names: [String] = []) -> String {
        frames.enumerated().map { index, frame in
            let comment = index < names.count ? "# \(index): \(names[index])\n" : "# \(index)\n"
            let bytes = frame.map { "0x" + String($0, radix: 16).leftPadded(to: 2) }
            let lines = stride(from: 0, to: bytes.count, by: 16).map {
                "  " + bytes[$0..<min($0 + 16, bytes.count)].joined(separator: ", ")
            }
            return comment + "{\n" + lines.joined(separator: ",\n") + "\n}\n"
        }.joined()
    }

    /// trafgen's gap syntax: "10ms", "250us", "5ns".
    static func gapArgument(_ gap: Duration) -> String {
        let nanoseconds = gap.components.seconds * 1_000_000_000 + gap.components.attoseconds / 1_000_000_000
        if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000)ms" }
        if nanoseconds % 1000 == 0 { return "\(nanoseconds / 1000)us" }
        return "\(nanoseconds)ns"
    }
}

extension NetworkLab {
    /// Sends `frames` round-robin from the sender's veth with trafgen:
    /// `count` packets in all (default: each frame once), `gap` apart, on
    /// one CPU so the order holds. No C preprocessor; host socket memory
    /// settings and IRQ affinities are left alone.
    @discardableResult
    public func sendWithTrafgen(
        _ frames: [[UInt8]], count: Int? = nil, gap: Duration? = .milliseconds(10), timeout: Duration = .seconds(60)
    ) throws -> CommandResult {
        let directory = try TemporaryDirectory(prefix: "vtap-trafgen")
        let config = directory.file("frames.cfg")
        try TrafgenConfig.text(for: frames).write(to: config, atomically: true, encoding: .utf8)
        var arguments = [
            "trafgen", "--dev", senderInterface, "--conf", config.path, "--num", String(count ?? frames.count),
            "--cpus", "1", "--no-sock-mem", "--notouch-irq", "--no-cpu-stats",
        ]
        if let gap { arguments += ["--gap", TrafgenConfig.gapArgument(gap)] }
        if frames.contains(where: { $0.count > 2048 }) { arguments.append("--jumbo-support") }
        let result = try run(in: .sender, arguments, timeout: timeout)
        guard result.succeeded else { throw CommandError(result: result) }
        return result
    }
}
