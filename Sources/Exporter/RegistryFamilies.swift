import Prometheus

/// Making swift-prometheus metrics (the exporter's own) from the contract's
/// families, so a name, its HELP text and its label names are only ever
/// spelt in MetricFamilies.
extension PrometheusCollectorRegistry {
    func counter(_ family: MetricFamily, _ values: [String] = []) -> Counter {
        precondition(family.type == .counter && values.count == family.labels.count, "\(family.name): wrong labels")
        return makeCounter(descriptor: family.descriptor, labels: Array(zip(family.labels, values)))
    }

    func gauge(_ family: MetricFamily, _ values: [String] = []) -> Gauge {
        precondition(family.type == .gauge && values.count == family.labels.count, "\(family.name): wrong labels")
        return makeGauge(descriptor: family.descriptor, labels: Array(zip(family.labels, values)))
    }

    func durationHistogram(_ family: MetricFamily, buckets: [Duration]) -> DurationHistogram {
        precondition(family.type == .histogram && family.labels.isEmpty, "\(family.name): wrong labels")
        return makeDurationHistogram(descriptor: family.descriptor, buckets: buckets)
    }
}

extension MetricFamily {
    var descriptor: MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
