import Foundation

/// The Prometheus file_sd targets file: one target group per live instance,
/// labelled with its id and interfaces, so a `file_sd_configs` scrape job
/// follows instances as they start and stop.
///
/// ```json
/// [{"labels":{"vtap_instance":"1","vtap_interfaces":"eth0,eth1"},"targets":["127.0.0.1:40123"]}]
/// ```
public struct PrometheusTargetGroup: Sendable, Equatable, Codable {
    public var targets: [String]
    public var labels: [String: String]

    public init(_ instance: Instance) {
        targets = [instance.metricsTarget]
        labels = ["vtap_instance": instance.id, "vtap_interfaces": instance.interfaces.joined(separator: ",")]
    }

    /// The whole file for these instances, in id order; `[]` for none.
    public static func file(for instances: [Instance]) throws -> Data {
        let groups = instances.sorted { InstanceID.precedes($0.id, $1.id) }.map(PrometheusTargetGroup.init)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(groups) + Data("\n".utf8)
    }
}
