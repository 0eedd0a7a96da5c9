import Foundation
import VtapTestSupport

/// A real TCP transfer with iperf3: the server in the receiver's namespace,
/// the client in the sender's, so the data segments arrive on the
/// receiver's veth.
enum IperfTransfer {
    struct Outcome {
        var client: CommandResult
        var server: CommandResult
    }

    /// `bitrate` keeps tcpdump (the oracle) from dropping packets. With
    /// `bytes`, the client sends that many instead of running `seconds`;
    /// with `json`, the client prints iperf3's JSON report, which has
    /// both ends' byte counts (the server's would hide "Server listening").
    static func run(
        in lab: NetworkLab, seconds: Int = 2, bytes: Int? = nil, bitrate: String = "200M", port: Int = 5201,
        json: Bool = false
    ) throws -> Outcome {
        let report = json ? ["--json"] : []
        let server = try lab.start(
            in: .receiver,
            [
                "iperf3", "--server", "--one-off", "--bind", lab.address(.receiver), "--port", String(port),
                "--forceflush",
            ])
        guard server.waitForStandardOutput(containing: "Server listening", timeout: .seconds(15)) else {
            server.terminate()
            throw ReportError("iperf3 server did not start: \(server.wait(timeout: .seconds(5)).summary)")
        }
        let client = try lab.run(
            in: .sender,
            [
                "iperf3", "--client", lab.address(.receiver), "--bind", lab.address(.sender), "--port", String(port),
                "--bitrate", bitrate,
            ] + (bytes.map { ["--bytes", String($0)] } ?? ["--time", String(seconds)]) + report,
            timeout: .seconds(Int64(seconds) + 30))
        let serverResult = server.wait(timeout: .seconds(15))
        guard client.succeeded else { throw ReportError("iperf3 client failed: \(client.summary)") }
        return Outcome(client: client, server: serverResult)
    }
}
