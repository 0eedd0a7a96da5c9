import Foundation
import VtapTestSupport

/// One live measurement with its independent record: tcpdump on the same
/// interface from before vtap attached until after it stopped, so the
/// capture holds exactly the packets vtap saw (the lab has no other traffic).
struct Recording: @unchecked Sendable {
    var directory: TemporaryDirectory
    var rules: URL
    var capture: URL
    var outcome: VtapOutcome
    var output: VtapOutput
    var summary: VtapReport
    /// The "vtap: attached to …" line.
    var attachedLine: String

    /// How vtap ends: by a signal after the traffic, or by `--duration`.
    enum Ending {
        case signal(VtapRun.Stop)
        case duration(timeout: Duration)
    }

    /// Starts tcpdump, then vtap; runs `traffic`, which returns how many
    /// frames the capture must hold before vtap is stopped (nil: wait until
    /// the capture is quiet); stops vtap, then tcpdump.
    static func make(
        in lab: NetworkLab, rules: URL, directory: TemporaryDirectory, vtapOptions: [String] = [],
        snapLength: Int = 0, ending: Ending = .signal(.interrupt), loader: [String] = [BuiltProducts.vtap],
        traffic: () throws -> Int?
    ) throws -> Recording {
        try make(
            in: lab, rules: rules, directory: directory, vtapOptions: vtapOptions, snapLength: snapLength,
            ending: ending, loader: loader, trafficWithVtap: { _ in try traffic() })
    }

    /// The same, with the running vtap handed to `trafficWithVtap`.
    static func make(
        in lab: NetworkLab, rules: URL, directory: TemporaryDirectory, vtapOptions: [String] = [],
        snapLength: Int = 0, ending: Ending = .signal(.interrupt), loader: [String] = [BuiltProducts.vtap],
        trafficWithVtap traffic: (VtapRun) throws -> Int?
    ) throws -> Recording {
        let captureFile = directory.file("received.pcap")
        let capture = try PacketCapture.start(in: lab, snapLength: snapLength, file: captureFile)
        let vtap = try VtapRun.start(in: lab, object: rules, options: vtapOptions, loader: loader)
        let attachedLine = vtap.attachedLine ?? ""
        let expectedFrames: Int?
        do {
            expectedFrames = try traffic(vtap)
        } catch {
            _ = vtap.stop(.terminate)
            _ = try? capture.stop()
            throw error
        }
        if let expectedFrames {
            guard capture.waitForRecords(expectedFrames) else {
                _ = vtap.stop(.terminate)
                _ = try? capture.stop()
                throw ReportError("tcpdump saw \(capture.recordCount) of the \(expectedFrames) frames sent")
            }
        } else {
            capture.waitUntilQuiet()
        }
        let outcome: VtapOutcome
        switch ending {
        case .signal(let signal): outcome = vtap.stop(signal)
        case .duration(let timeout): outcome = vtap.waitForExit(timeout: timeout)
        }
        try capture.stop()
        let output = try outcome.output()
        return Recording(
            directory: directory, rules: rules, capture: captureFile, outcome: outcome, output: output,
            summary: try output.summary(), attachedLine: attachedLine)
    }

    /// tshark's frames of the capture matching `filter`.
    func frames(_ filter: String? = nil, fields: [String] = []) throws -> [CapturedFrame] {
        try CaptureAnalysis.frames(in: capture, filter: filter, fields: fields)
    }
}

/// `vtap replay RULES CAPTURE --json`: the summary, or the single object
/// replay printed before it had intervals.
enum VtapReplay {
    static func summary(rules: URL, capture: URL, options: [String] = []) throws -> VtapReport {
        let result = try CommandRunner.run(
            [BuiltProducts.vtap, "replay", rules.path, capture.path, "--json"] + options, timeout: .seconds(180))
        guard result.succeeded else { throw ReportError("vtap replay failed: \(result.summary)") }
        let output = try VtapOutput(parsing: result.standardOutput)
        if output.reports.count == 1 { return output.reports[0] }
        return try output.summary()
    }
}
