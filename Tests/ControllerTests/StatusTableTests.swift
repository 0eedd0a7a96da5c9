import Foundation
import Testing
import VtapController

@Suite struct StatusTableTests {
    @Test func columnsAreStableAndAligned() {
        let now = Sample.started + 3725
        let instances = [
            Sample.instance("1", interfaces: ["eth1", "eth2"], port: 40_123),
            Sample.instance("web", interfaces: ["eth0"], host: "::", port: 9100),
        ]
        let pid = String(getpid())
        let table = StatusTable.render(instances, now: now)
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(
            lines[0].split(separator: " ") == ["ID", "PID", "INTERFACES", "METRICS", "STARTED", "UPTIME", "OBJECT"])
        #expect(
            lines[1].split(separator: " ").map(String.init) == [
                "1", pid, "eth1,eth2", "127.0.0.1:40123", "2026-11-18T11:06:40Z", "1h02m", "/srv/vtap/filter.o",
            ])
        #expect(
            lines[2].split(separator: " ").map(String.init) == [
                "web", pid, "eth0", "[::1]:9100", "2026-11-18T11:06:40Z", "1h02m", "/srv/vtap/filter.o",
            ])
        // Every column starts where its header does.
        for header in ["PID", "INTERFACES", "METRICS", "STARTED", "UPTIME", "OBJECT"] {
            let column = lines[0].range(of: header)!.lowerBound.utf16Offset(in: lines[0])
            for line in lines.dropFirst() {
                let index = line.index(line.startIndex, offsetBy: column)
                #expect(line[line.index(before: index)] == " " && line[index] != " ", "\(header) in \(line)")
            }
        }
        #expect(StatusTable.render([]) == "ID  PID  INTERFACES  METRICS  STARTED  UPTIME  OBJECT\n")
    }

    /// An instance in another network namespace serves 127.0.0.1 there,
    /// not here: its address says which namespace.
    @Test func anInstanceInAnotherNamespaceSaysWhich() {
        let instances = [
            Sample.instance("here", interfaces: ["eth0"], port: 9100),
            Sample.instance("there", interfaces: ["veth1"], port: 9101),
        ]
        // The first's pid is this process's; the second is given another namespace.
        var other = instances[1]
        other.pid = 4242
        let table = StatusTable.render([instances[0], other]) { pid in pid == 4242 ? 4_026_532_999 : 4_026_531_840 }
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines[1].contains("127.0.0.1:9100  "), "\(lines[1])")
        #expect(!lines[1].contains("netns"))
        #expect(lines[2].contains("127.0.0.1:9101 (in netns 4026532999)"), "\(lines[2])")
        // And for real: this process's own namespace is not marked.
        #expect(!StatusTable.render([instances[0]]).contains("netns"))
    }

    @Test(arguments: [(0.0, "0s"), (42, "42s"), (307, "5m07s"), (3725, "1h02m"), (273_600, "3d04h"), (-5, "0s")])
    func uptime(seconds: Double, text: String) {
        #expect(StatusTable.uptime(seconds) == text)
    }
}
