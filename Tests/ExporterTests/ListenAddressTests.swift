import Testing
import VtapExporter

@Suite struct ListenAddressTests {
    @Test func defaultsToLoopback() {
        #expect(ExporterConfiguration(port: 8080).host == "127.0.0.1")
    }

    @Test(arguments: [
        ("127.0.0.1:8080", "127.0.0.1", 8080), ("0.0.0.0:0", "0.0.0.0", 0), ("localhost:9100", "localhost", 9100),
        ("[::1]:8080", "::1", 8080), ("[::]:65535", "::", 65535), ("[fe80::1%eth0]:1", "fe80::1%eth0", 1),
        ("10.1.2.3:00080", "10.1.2.3", 80),
    ])
    func parses(text: String, host: String, port: Int) throws {
        let configuration = try ExporterConfiguration.parse(listen: text)
        #expect(configuration == ExporterConfiguration(host: host, port: port))
    }

    @Test func listenTextRoundTrips() throws {
        for text in ["127.0.0.1:8080", "[::1]:9100", "[fe80::1%eth0]:1"] {
            #expect(try ExporterConfiguration.parse(listen: text).listenText == text)
        }
    }

    @Test(arguments: [
        ("8080", "expected ADDR:PORT"), (":8080", "missing address"), ("::1:8080", "needs brackets"),
        ("[::1]8080", "expected ':PORT' after ']'"), ("[::1:8080", "'[' without ']'"), ("[1.2.3.4]:80", "IPv6"),
        ("[]:80", "IPv6"), ("127.0.0.1:", "port must be"), ("127.0.0.1:65536", "port must be"),
        ("127.0.0.1:-1", "port must be"), ("127.0.0.1:http", "port must be"), ("127.0.0.1:+80", "port must be"),
        ("a b:80", "host name"), ("", "expected ADDR:PORT"), ("x\ny:80", "host name"),
        ("127.0.0.1:１２", "port must be"),
    ])
    func rejects(text: String, reason: String) {
        #expect {
            try ExporterConfiguration.parse(listen: text)
        } throws: { error in
            let message = "\(error)"
            return message.contains(reason) && message.contains(String(reflecting: text)) && !message.contains("\n")
        }
    }
}
