import Foundation
import VtapTestSupport

/// Crafted frames of every protocol class and of known sizes, some padded
/// to 60 bytes (padding is not payload), one VLAN-tagged, plus frames no
/// rule matches and malformed ones: every counter has an exact expected value.
struct TotalsScenario {
    let endpoints: LabEndpoints
    /// Per rule, in rule order: the frames it must count.
    let matched: [[PacketBuilder]]
    let unmatched: [[UInt8]]
    let malformed: [[UInt8]]

    /// Rule names (nil: unnamed) and texts; the protocol class each counts.
    var rules: [RulesFile.Rule] {
        let s = endpoints.senderAddress
        let r = endpoints.receiverAddress
        return [
            .init("udp-flow", "\(s) \(r) 4500 9 UDP"),
            .init("icmp", "\(s) \(r) - - ICMP"),
            .init("tcp", "\(s) \(r) - - TCP"),
            .init(nil, "\(s) \(r) - - 47"),
            .init("icmpv6", "\(Self.v6Source) \(Self.v6Destination) - - ICMPv6"),
        ]
    }

    /// The protocol class each rule's packets belong to (ICMPv6 is icmp).
    static let ruleClasses = ["udp", "icmp", "tcp", "other", "icmp"]
    static let v6Source = "2001:db8::8", v6Destination = "2001:db8::9"

    /// The same rules as Wireshark display filters, for the capture.
    var captureFilters: [String] {
        let pair = "ip.src == \(endpoints.senderAddress) && ip.dst == \(endpoints.receiverAddress)"
        return [
            "\(pair) && udp.srcport == 4500 && udp.dstport == 9", "\(pair) && icmp", "\(pair) && tcp",
            "\(pair) && ip.proto == 47",
            "ipv6.src == \(Self.v6Source) && ipv6.dst == \(Self.v6Destination) && icmpv6",
        ]
    }

    init(_ endpoints: LabEndpoints) {
        self.endpoints = endpoints
        let ip = endpoints.ipv4
        let fill = { (count: Int) in (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) } }
        var udp = [0, 1, 17, 18, 100, 512, 1000, 1472].map {
            ip.udp(from: 4500, to: 9).payload(fill($0)).paddedToMinimumLength()
        }
        udp.append(
            PacketBuilder(source: endpoints.senderMAC, destination: endpoints.receiverMAC).vlan(5)
                .ipv4(from: endpoints.senderAddress, to: endpoints.receiverAddress).udp(from: 4500, to: 9)
                .payload(fill(64)))
        let icmp = [0, 10, 56, 1000].enumerated().map { index, size in
            ip.icmpEcho(identifier: 77, sequence: UInt16(index)).payload(fill(size)).paddedToMinimumLength()
        }
        var tcp = [0, 1, 100, 1460].enumerated().map { index, size in
            ip.tcp(from: 40000, to: 80) { $0.sequence = UInt32(index * 5000) }.payload(fill(size))
                .paddedToMinimumLength()
        }
        // Options make the data offset 8 words: payload = IP payload − 32.
        tcp.append(
            ip.tcp(from: 40000, to: 80) {
                $0.sequence = 90000
                $0.options = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]
            }.payload(fill(50)))
        let other = [20, 300].map { ip.transport(protocol: 47, header: [0, 0, 0x88, 0xB5]).payload(fill($0)) }
        // IPv6 frames reach the taps even with IPv6 off on the interface.
        let icmpv6 = [0, 48, 700].enumerated().map { index, size in
            PacketBuilder(source: endpoints.senderMAC, destination: endpoints.receiverMAC)
                .ipv6(from: Self.v6Source, to: Self.v6Destination).icmpEcho(identifier: 78, sequence: UInt16(index))
                .payload(fill(size)).paddedToMinimumLength()
        }
        matched = [udp, icmp, tcp, other, icmpv6]
        unmatched = [
            ip.udp(from: 4500, to: 10).payload(fill(30)).bytes,
            ip.udp(from: 4501, to: 9).payload(fill(30)).bytes,
            PacketBuilder(source: endpoints.senderMAC, destination: endpoints.receiverMAC)
                .etherType(EtherType.localExperimental).payload(fill(46)).bytes,
        ]
        let catalogue = malformedPacketCatalogue()
        malformed = ["ipv4 IHL 4", "tcp data offset 4"].map { name in
            endpoints.addressedToReceiver(catalogue.first { $0.name == name }!.frame)
        }
    }

    /// Rule frames round-robin, then the unmatched and malformed ones in between.
    var sendOrder: [[UInt8]] {
        var queues = matched.map { $0.map(\.bytes) } + [unmatched, malformed]
        var frames: [[UInt8]] = []
        while queues.contains(where: { !$0.isEmpty }) {
            for index in queues.indices where !queues[index].isEmpty {
                frames.append(queues[index].removeFirst())
            }
        }
        return frames
    }

    /// Per protocol class: the frames of the rules of that class.
    func expectedClassTotals(_ name: String) -> PacketTotals {
        zip(matched, Self.ruleClasses).filter { $0.1 == name }.map(\.0.expectedTotals).reduce(.zero, +)
    }

    var unmatchedTally: Tally {
        Tally(packets: UInt64(unmatched.count), bytes: UInt64(unmatched.reduce(0) { $0 + $1.count }))
    }
    var malformedTally: Tally {
        Tally(packets: UInt64(malformed.count), bytes: UInt64(malformed.reduce(0) { $0 + $1.count }))
    }

    /// Builds the lab traffic, measures it, and returns the recording.
    /// `compiled`: measure with the object vtapc built from the rules
    /// instead of letting vtap compile them. `loader`: the vtap command.
    static func record(
        in lab: NetworkLab, compiled: Bool = false, options: [String] = [], loader: [String] = [BuiltProducts.vtap]
    ) throws
        -> (TotalsScenario, Recording)
    {
        let scenario = TotalsScenario(try lab.preparedEndpoints())
        let directory = try TemporaryDirectory(prefix: "vtap-e2e-totals")
        var rules = try RulesFile.write(scenario.rules, to: directory)
        if compiled {
            let object = directory.file("filter.o")
            try RulesFile.compile(rules, to: object)
            rules = object
        }
        let frames = scenario.sendOrder
        let recording = try Recording.make(
            in: lab, rules: rules, directory: directory, vtapOptions: options, loader: loader
        ) {
            try lab.sendWithTrafgen(frames, gap: .milliseconds(2))
            return frames.count
        }
        return (scenario, recording)
    }
}
