import Foundation
import Testing
import VtapController

@Suite struct PrometheusTargetsTests {
    @Test func theFileListsEveryLiveInstanceInIDOrder() throws {
        let fixture = try RegistryFixture()
        try fixture.registry.register(id: "2") { Sample.instance($0, interfaces: ["eth2"], port: 40_002) }
        try fixture.registry.register(id: "1") { Sample.instance($0, interfaces: ["eth0", "eth1"], port: 40_001) }
        #expect(
            fixture.targetsText == """
                [{"labels":{"vtap_instance":"1","vtap_interfaces":"eth0,eth1"},"targets":["127.0.0.1:40001"]},\
                {"labels":{"vtap_instance":"2","vtap_interfaces":"eth2"},"targets":["127.0.0.1:40002"]}]

                """)
    }

    /// The shape Prometheus's file_sd reads: a list of {targets: [host:port], labels: {name: value}}.
    @Test func theShapeIsFileSD() throws {
        let fixture = try RegistryFixture()
        try fixture.registry.register(id: "1") { Sample.instance($0, port: 40_001) }
        let groups = try #require(
            try JSONSerialization.jsonObject(with: Data(fixture.targetsText.utf8)) as? [[String: Any]])
        #expect(groups.count == 1)
        #expect(Set(groups[0].keys) == ["targets", "labels"])
        #expect(groups[0]["targets"] as? [String] == ["127.0.0.1:40001"])
        #expect(groups[0]["labels"] as? [String: String] == ["vtap_instance": "1", "vtap_interfaces": "eth1"])
    }

    @Test func noInstancesIsAnEmptyList() throws {
        let fixture = try RegistryFixture()
        let instance = try fixture.registry.register(id: nil) { Sample.instance($0) }
        try fixture.registry.unregister(instance)
        #expect(fixture.targetsText == "[]\n")
        // Even a registry that never had an instance has the file, for Prometheus to watch.
        let empty = try RegistryFixture()
        _ = try empty.registry.instances()
        #expect(empty.targetsText == "[]\n")
    }

    @Test(arguments: [
        ("0.0.0.0", "127.0.0.1:9100"), ("127.0.0.1", "127.0.0.1:9100"), ("10.1.2.3", "10.1.2.3:9100"),
        ("::", "[::1]:9100"), ("::1", "[::1]:9100"), ("fd00::7", "[fd00::7]:9100"),
    ])
    func everyAddressBecomesAReachableTarget(host: String, target: String) throws {
        let instance = Sample.instance("1", host: host, port: 9100)
        #expect(instance.metricsTarget == target)
        #expect(PrometheusTargetGroup(instance).targets == [target])
        #expect(instance.metricsURL == "http://\(target)/metrics")
    }
}
