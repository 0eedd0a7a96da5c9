import Foundation
import VtapCapture
import VtapExporter
import VtapMetrics
import VtapRuleGen
import VtapRuleModel

/// Where each target's fuzzing starts: inputs from the repository's
/// rules and captures, the seed data's configurations and ClassBench filter
/// sets, manifests vtapc writes, and a few inputs built here in each
/// target's own layout. scripts/fuzz writes them out; the tests run them.
public struct FuzzCorpus {
    public struct Seed: Sendable {
        public var name: String
        public var bytes: [UInt8]
    }

    public var repository: URL
    /// `../shared/seed-data` when present (VTAP_SEED_DATA).
    public var seedData: URL?
    /// A built vtapc, for manifests.
    public var vtapc: String
    /// Where vtapc's objects and manifests go.
    public var scratch: URL

    public init(repository: URL, seedData: URL?, vtapc: String, scratch: URL) {
        self.repository = repository
        self.seedData = seedData
        self.vtapc = vtapc
        self.scratch = scratch
    }

    public func seeds(for target: FuzzTarget) throws -> [Seed] {
        switch target {
        case .rules, .frontEnd: try rulesFiles()
        case .manifest: try manifests()
        case .capture: try captures()
        case .verifierLog: Self.verifierLogs
        case .qlog: QlogFuzz.seeds
        case .ipfix: IPFIXFuzz.seeds
        case .http: Self.httpRequests
        }
    }

    /// libFuzzer's dictionary. For the rules targets: JSON's punctuation
    /// and literals, and every string the seed rules files hold (their keys,
    /// protocol names, addresses, ranges), so no key list is kept twice.
    /// For http: the words of HTTP/1.1 requests the exporter reads.
    public func dictionary(for target: FuzzTarget) throws -> String? {
        var tokens: Set<String>
        switch target {
        case .rules, .frontEnd:
            tokens = ["{", "}", "[", "]", ":", ",", "true", "false", "null", "-", "/", "\\u0000", "1e999"]
            for seed in try rulesFiles() {
                let text = String(decoding: seed.bytes, as: UTF8.self)
                for (index, piece) in text.split(separator: "\"", omittingEmptySubsequences: false).enumerated()
                where index % 2 == 1 && (1...32).contains(piece.utf8.count) && !piece.contains(" ") {
                    tokens.insert("\"" + piece + "\"")
                }
            }
        case .http:
            tokens = [
                "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "CONNECT", "TRACE", "PATCH", "HTTP/1.1", "HTTP/1.0",
                "\r\n", "\r\n\r\n", "/metrics", "/", "/metrics?x=1", "*", "Host:", "Accept:", "Connection:",
                "close", "keep-alive", "Expect: 100-continue", "Upgrade: h2c", "Transfer-Encoding: chunked",
                "Content-Length:", "0\r\n\r\n", ExpositionFormat.openMetrics.contentType,
                ExpositionFormat.prometheusText.contentType, "application/openmetrics-text", "text/plain", "*/*",
                ";q=0.5", "version=0.0.1",
            ]
        default:
            return nil
        }
        return tokens.sorted().map { token in
            let escaped = token.utf8.map { byte -> String in
                (0x20...0x7E).contains(byte) && byte != 0x22 && byte != 0x5C
                    ? String(UnicodeScalar(byte)) : String(format: "\\x%02X", byte)
            }.joined()
            return "\"\(escaped)\""
        }.joined(separator: "\n") + "\n"
    }

    private func file(_ url: URL) throws -> Seed {
        Seed(name: url.lastPathComponent, bytes: Array(try Data(contentsOf: url)))
    }

    private func rulesFiles() throws -> [Seed] {
        var seeds = try repositoryFiles(in: "rules", extension: "json")
        if let seedData {
            seeds.append(try file(seedData.appendingPathComponent("vtap-2021/config.json")))
            // The first filters of each ClassBench family: prefixes, ranges, wildcards.
            for family in ["acl1", "fw1", "ipc1"] {
                let text = try ClassBench.read(
                    seedData.appendingPathComponent("classbench/\(family)_1000.filters.gz").path)
                let filters = try ClassBench.filters(text).prefix(40)
                seeds.append(Seed(name: "\(family)-40.json", bytes: Array(ClassBench.rulesFile(Array(filters)).utf8)))
            }
        }
        return seeds
    }

    private func repositoryFiles(in folder: String, extension wanted: String) throws -> [Seed] {
        let directory = repository.appendingPathComponent(folder)
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            .filter { $0.hasSuffix(".\(wanted)") }
            .map { try file(directory.appendingPathComponent($0)) }
    }

    private func manifests() throws -> [Seed] {
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        return try repositoryFiles(in: "rules", extension: "json").map { rules in
            let input = scratch.appendingPathComponent(rules.name)
            try Data(rules.bytes).write(to: input)
            let object = scratch.appendingPathComponent(rules.name + ".o")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: vtapc)
            process.arguments = [input.path, "-o", object.path, "--no-verify"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            let manifest = URL(fileURLWithPath: Manifest.path(forObject: object.path))
            return try file(manifest)
        }
    }

    private func captures() throws -> [Seed] {
        var seeds = try repositoryFiles(in: "rules", extension: "pcap")
        // One cut inside its last record, and one of vtap's own writing
        // with a snapshot length that cuts.
        if let whole = seeds.first { seeds.append(Seed(name: "cut.pcap", bytes: Array(whole.bytes.dropLast(7)))) }
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let written = scratch.appendingPathComponent("written.pcap")
        let writer = try CaptureWriter(path: written.path, snapshotLength: 64)
        for length in [14, 60, 200] {
            try writer.write(
                Array(repeating: 0x45, count: min(length, 64)), timestampNanoseconds: UInt64(length) * 999,
                originalLength: length)
        }
        try writer.close()
        seeds.append(try file(written))
        return seeds
    }

    /// What clients of the exporter send: Prometheus's scrape, other
    /// methods, paths and versions, pipelined requests, bodies (chunked
    /// too), a header of 60 KB (under the 64 KiB limit), bare LF lines,
    /// CONNECT and an upgrade to h2c.
    static let httpRequests: [Seed] = [
        ("get", "GET /metrics HTTP/1.1\r\nHost: localhost:9100\r\n\r\n"),
        (
            "prometheus",
            "GET /metrics HTTP/1.1\r\nHost: localhost:9100\r\nUser-Agent: Prometheus/2.53.0\r\n"
                + "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\nAccept-Encoding: gzip\r\n"
                + "X-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n"
        ),
        ("head", "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("post", "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"),
        ("pipelined", "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"),
        (
            "big-header",
            "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 60_000) + "\r\n\r\n"
        ),
        ("wrong-path", "GET /metric HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        ("http10", "GET /metrics HTTP/1.0\r\n\r\n"),
        (
            "chunked",
            "PUT /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
                + "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
        ),
        ("bare-lf", "GET /metrics HTTP/1.1\nHost: x\nAccept: application/openmetrics-text\n\n"),
        // NIO answers a CONNECT without a body, and a request that offers
        // an upgrade (curl --http2) is one it stops parsing after.
        ("connect", "CONNECT localhost:9100 HTTP/1.1\r\nHost: localhost:9100\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
        (
            "upgrade",
            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                + "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n"
        ),
    ].map { Seed(name: "\($0.0).http", bytes: Array($0.1.utf8)) }

    /// Lines in the kernel verifier's layout (as bpftool and libbpf print
    /// them), written here.
    static let verifierLogs: [Seed] = [
        """
        func#0 @0
        0: R1=ctx() R10=fp0
        ; int classify(struct __sk_buff *skb) @ filter.c:41
        0: (61) r2 = *(u32 *)(r1 +76)         ; R1=ctx() R2_w=pkt(r=0)
        1: (61) r3 = *(u32 *)(r1 +80)
        ; if (ip->protocol == 6) @ filter.c:57
        2: (71) r4 = *(u8 *)(r2 +23)
        invalid access to packet, off=23 size=1, R2(id=0,off=23,r=0)
        R2 offset is outside of the packet
        processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
        """,
        """
        processed 812345 insns (limit 1000000) max_states_per_insn 31 total_states 41234 peak_states 9876 mark_read 12
        stack depth 64+32
        verification time 1234567 usec
        """,
        """
        ; return count; @ filter.c:108
        BPF program is too large. Processed 1000001 insn
        processed 1000001 insns (limit 1000000) max_states_per_insn 4 total_states 50000 peak_states 5000 mark_read 3
        """,
    ].enumerated().map { Seed(name: "verifier-\($0.offset).log", bytes: Array($0.element.utf8)) }
}
