import Foundation
import VtapBPF
import VtapCapture
import VtapCodegen
import VtapDiagnostics
import VtapFrontend
import VtapMetrics
import VtapOutputs
import VtapRuleModel
import VtapSema

/// A property a front end broke on one input: the fuzzer turns it into a
/// crash (and a saved input); the tests into a failed expectation.
public struct FuzzViolation: Error, CustomStringConvertible {
    public var target: FuzzTarget
    public var property: String
    public var description: String { "\(target.rawValue): \(property)" }
}

/// The front ends that read bytes from outside, one fuzz target each. Every
/// target asserts more than "no crash": a property that holds for every
/// input (positions inside the file, output that parses again, ...).
public enum FuzzTarget: String, Sendable, CaseIterable {
    /// Rules file → syntax → checked ruleset and diagnostics.
    case rules
    /// Rules file → check → specialized C: the C holds nothing of the
    /// input's free text (names, rule source) and is plain ASCII.
    case frontEnd = "front-end"
    /// A manifest next to an object: decoded, then stable when written again.
    case manifest
    /// pcap and pcapng files through libpcap and vtap's framing.
    case capture
    /// The kernel verifier's log: error line, source annotations, statistics.
    case verifierLog = "verifier-log"
    /// TCP segments (header fields and raw options) → traces → qlog text.
    case qlog
    /// Records of any length → IPFIX messages, read back by RFC 7011's framing.
    case ipfix
    /// Bytes a client sends on one connection → the exporter's HTTP server
    /// on loopback: whole HTTP/1.1 responses, and the server still serves.
    case http

    /// Runs one input; throws the property it broke.
    public func run(_ bytes: [UInt8]) throws {
        switch self {
        case .rules: try RulesFuzz.run(bytes)
        case .frontEnd: try FrontEndFuzz.run(bytes)
        case .manifest: try ManifestFuzz.run(bytes)
        case .capture: try CaptureFuzz.run(bytes)
        case .verifierLog: try VerifierLogFuzz.run(bytes)
        case .qlog: try QlogFuzz.run(bytes)
        case .ipfix: try IPFIXFuzz.run(bytes)
        case .http: try HTTPFuzz.run(bytes)
        }
    }

    func require(_ condition: Bool, _ property: @autoclosure () -> String) throws {
        if !condition { throw FuzzViolation(target: self, property: property()) }
    }
}
