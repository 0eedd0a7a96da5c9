import ArgumentParser
import Foundation
import VtapCapture
import VtapOutputs
import VtapRuntime

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every packet of a pcap or pcapng capture through the object, offline.",
        discussion: "Each packet runs through the kernel with BPF_PROG_TEST_RUN, with its capture timestamp and wire length.")

    @Argument(help: "A vtapc object (its manifest beside it) or a rules file to compile first.")
    var object: String

    @Argument(help: "The capture: pcap or pcapng; Ethernet, raw IP or Linux cooked.")
    var capture: String

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func run() throws {
        do {
            let measurement = try MeasurementObject.load(object)
            let session = try ReplaySession(measurement)
            let reader: CaptureReader
            do {
                reader = try CaptureReader(path: capture)
            } catch {
                throw RuntimeError.badInput("\(error)")
            }
            do {
                while let packet = try reader.nextEthernetPacket() {
                    try session.run(
                        frame: packet.bytes, timestampNanoseconds: packet.timestampNanoseconds,
                        wireLength: packet.originalLength)
                }
            } catch let error as RuntimeError {
                throw error
            } catch {
                throw RuntimeError.badInput("\(error)")
            }
            let summary = CountSummary(try session.measurement.snapshot(), manifest: measurement.manifest)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                FileHandle.standardOutput.write(try encoder.encode(summary) + Data("\n".utf8))
            } else {
                print("replayed \(reader.packetsRead) packets from \(capture) through \(object)\n")
                print(summary.text(manifest: measurement.manifest))
            }
        } catch let error as RuntimeError {
            FileHandle.standardError.write(Data("vtap: error: \(error.description)\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }
}
