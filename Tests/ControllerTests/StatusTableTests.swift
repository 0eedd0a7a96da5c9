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

    @Test(arguments: [(0.0, "0s"), (42, "42s"), (307, "5m07s"), (3725, "1h02m"), (273_600, "3d04h"), (-5, "0s")])
    func uptime(seconds: Double, text: String) {
        #expect(StatusTable.uptime(seconds) == text)
    }
}
