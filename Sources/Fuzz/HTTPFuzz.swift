import Foundation
import Synchronization
import VtapExporter
import VtapHTTPTestClient
import VtapMetrics
import VtapRuleModel

/// Any bytes as what one client sends on a connection to the exporter: the
/// real path (a loopback socket, NIO's HTTP/1 decoder, Hummingbird, vtap's
/// guard and responder) of a `MetricsServer` started once per process with
/// its production limits. The bytes go out on a fresh connection, which is
/// then half-closed, and the reply is read to the server's close.
///
/// The property: the server closes within `replyTimeout`, and what it sent
/// is a sequence of whole HTTP/1.1 responses: a status line with one of the
/// statuses the exporter answers with (200, 404, 405 from its responder,
/// 400 from Hummingbird for what does not parse; never a 5xx for anything a
/// client sends), a head ended by CRLF CRLF, one Content-Length of digits
/// and as many body bytes after it (none after a HEAD's; neither after a
/// CONNECT's, which is the last), nothing after a 400 (the connection closes
/// there), and a 200 in either exposition format whose body ends as the
/// format wants. Every `livenessPeriod` inputs, and
/// after the first one, a plain GET /metrics on a connection of its own
/// must get a 200: an input that wedged the server (a leaked connection of
/// 1,024, a stuck scrape) shows there, within that many inputs of it.
///
/// A socket per input, not NIO's EmbeddedChannel: what the fuzzer reaches
/// is then what a client reaches, the channel set-up and the half-closure
/// included, at a few hundred inputs a second on loopback.
enum HTTPFuzz {
    /// Longer than any answer takes, shorter than libFuzzer's 10 s timeout
    /// and than the exporter's own 10 s idle and request timeouts, so a
    /// connection the server keeps after the client's end is reported here.
    static let replyTimeout = 5.0
    static let livenessPeriod = 64

    private static let inputs = Mutex(0)

    /// Started on first use, kept for the process: starting a Hummingbird
    /// application per input would cost more than the input.
    private static let server: Result<(server: MetricsServer, port: Int), any Error> = Result {
        let rules = ["web", "dns"].enumerated().map { index, label in
            Manifest.RuleEntry(
                index: index, number: index + 1, name: label, label: label, source: "", line: 1, column: 1)
        }
        var totals = MeasurementTotals(ruleCount: rules.count)
        totals.rules[0].packets = 3
        totals.rules[0].bytes = 180
        let snapshot = ExportSnapshot(interfaces: [
            ExportedInterface(name: "lo", totals: totals, jitterFrom: totals, jitterTo: totals)
        ])
        let server = MetricsServer(
            manifest: Manifest(rules: rules), configuration: ExporterConfiguration(port: 0), version: "fuzz",
            read: { snapshot })
        return (server, try server.start())
    }

    static func run(_ bytes: [UInt8]) throws {
        let target = FuzzTarget.http
        let port: Int
        switch server {
        case .success(let started): port = started.port
        case .failure(let error): throw FuzzViolation(target: target, property: "the server did not start: \(error)")
        }
        let connection: HTTPTestConnection
        do {
            connection = try HTTPTestConnection(port: port, timeout: replyTimeout)
        } catch {
            throw FuzzViolation(target: target, property: "cannot connect: \(error)")
        }
        let reply = connection.exchange(bytes)
        try target.require(reply != nil, "the connection was still open \(replyTimeout) s after the client's end")
        try checkResponses(
            reply ?? [], mayHaveHead: bytes.firstRange(of: Array("HEAD".utf8)) != nil,
            mayHaveConnect: bytes.firstRange(of: Array("CONNECT".utf8)) != nil)

        let count = inputs.withLock { count in
            count += 1
            return count
        }
        if count % livenessPeriod == 1 {
            let response = try? HTTPTestConnection(port: port, timeout: replyTimeout)
                .request("GET", "/metrics", headers: ["Connection: close"])
            try target.require(
                response?.status == 200,
                "a plain GET /metrics after \(count) inputs got \(response.map { "\($0.status)" } ?? "no response")")
        }
    }

    static let allowedStatuses: Set<Int> = [200, 400, 404, 405]

    private static let crlf = Array("\r\n".utf8)
    private static let headEnd = Array("\r\n\r\n".utf8)
    private static let statusPrefix = Array("HTTP/1.1 ".utf8)

    /// `reply` read as the responses to a connection's requests, each
    /// checked; throws the first thing wrong, naming the response. Only a
    /// HEAD (or a CONNECT) gets a response without its body, and only when
    /// the input holds one: the requests themselves are NIO's to parse.
    static func checkResponses(_ reply: [UInt8], mayHaveHead: Bool, mayHaveConnect: Bool) throws {
        let target = FuzzTarget.http
        var rest = reply[...]
        var number = 0
        while !rest.isEmpty {
            number += 1
            guard let end = rest.firstRange(of: headEnd) else {
                throw FuzzViolation(target: target, property: "response \(number): a head without its blank line")
            }
            let response = try parseHead(rest[rest.startIndex..<end.lowerBound], number: number)
            try target.require(
                allowedStatuses.contains(response.status), "response \(number): status \(response.status)")
            rest = rest[end.upperBound...]
            // NIO answers a CONNECT without a body and without framing
            // headers (RFC 9112 §6.3 for its 2xx; NIO does it for any
            // status), and nothing can follow it: the rest of the
            // connection would be the tunnel's.
            guard let contentLength = response.contentLength else {
                try target.require(
                    mayHaveConnect && rest.isEmpty, "response \(number): no Content-Length, and not a CONNECT's")
                continue
            }
            // A HEAD's response says how long the body would be, and sends
            // none: what follows it is the next response or the end.
            let bodyless = mayHaveHead && (rest.isEmpty || rest.starts(with: statusPrefix))
            let body: ArraySlice<UInt8>
            if bodyless {
                body = []
            } else {
                try target.require(
                    rest.count >= contentLength, "response \(number): \(rest.count) body bytes of \(contentLength)")
                body = rest.prefix(contentLength)
                rest = rest.dropFirst(contentLength)
            }
            if response.status == 400 {
                try target.require(rest.isEmpty, "response \(number): \(rest.count) bytes after a 400")
            }
            guard response.status == 200, !body.isEmpty, let type = response.contentType else { continue }
            if type.hasPrefix("application/openmetrics-text") {
                try target.require(
                    body.suffix(6).elementsEqual("# EOF\n".utf8),
                    "response \(number): an OpenMetrics body that does not end with # EOF")
            } else if type.hasPrefix("text/plain; version=0.0.4") {
                try target.require(
                    body.last == UInt8(ascii: "\n"), "response \(number): a text body without its last newline")
            }
        }
    }

    struct Head {
        var status: Int
        /// Nil when the head has none.
        var contentLength: Int?
        var contentType: String?
    }

    /// A response head (without its blank line): `HTTP/1.1 NNN reason`, then
    /// `name: value` lines, at most one Content-Length, no Transfer-Encoding
    /// (every body the exporter sends has a known length).
    static func parseHead(_ head: ArraySlice<UInt8>, number: Int) throws -> Head {
        func broken(_ what: String) -> FuzzViolation {
            FuzzViolation(target: .http, property: "response \(number): \(what)")
        }
        var lines = head.split(separator: crlf, omittingEmptySubsequences: false)
        let statusLine = lines.isEmpty ? [] : lines.removeFirst()
        guard statusLine.starts(with: statusPrefix) else { throw broken("no HTTP/1.1 status line") }
        let afterVersion = statusLine.dropFirst(statusPrefix.count)
        let digits = afterVersion.prefix(3)
        guard digits.count == 3, digits.allSatisfy({ (0x30...0x39).contains($0) }),
            afterVersion.dropFirst(3).first == UInt8(ascii: " "),
            let status = Int(String(decoding: digits, as: UTF8.self))
        else { throw broken("a status line without a three-digit status") }
        var lengths: [Int] = []
        var contentType: String?
        for line in lines {
            let text = String(decoding: line, as: UTF8.self)
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                !line.contains(where: { $0 == 0x0D || $0 == 0x0A })
            else { throw broken("the header line \(text.debugDescription)") }
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-length":
                guard !value.isEmpty, value.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let length = Int(value)
                else { throw broken("Content-Length \(value.debugDescription)") }
                lengths.append(length)
            case "content-type": contentType = value
            case "transfer-encoding": throw broken("Transfer-Encoding \(value.debugDescription)")
            default: break
            }
        }
        guard lengths.count <= 1 else { throw broken("\(lengths.count) Content-Length headers") }
        return Head(status: status, contentLength: lengths.first, contentType: contentType)
    }
}
