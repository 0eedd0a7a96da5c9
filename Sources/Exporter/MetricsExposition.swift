import VtapMetrics
import VtapRuleModel

/// Turns a snapshot of the totals into the families of MetricFamilies:
/// pure, no sockets, no maps.
public struct MetricsExposition: Sendable {
    /// Rule index and label, in manifest order.
    private let rules: [(index: Int, label: String)]
    /// The same by index, for the series that name a rule by its index.
    private let labels: [Int: String]

    public init(manifest: Manifest) {
        rules = manifest.rules.map { ($0.index, $0.label) }
        labels = Dictionary(rules.map { ($0.index, $0.label) }, uniquingKeysWith: { first, _ in first })
    }

    /// A rule's label; its index for one the manifest lacks.
    private func label(ofRule index: Int) -> String { labels[index] ?? "\(index)" }

    /// The text of a response: the measurement series when there is a
    /// snapshot, then the exporter's own metrics, written once in `format`.
    public func render(
        _ snapshot: ExportSnapshot?, selfMetrics: ExporterSelfMetrics, format: ExpositionFormat
    ) -> [UInt8] {
        var writer = TextExpositionWriter(format: format)
        if let snapshot { write(snapshot, into: &writer) }
        selfMetrics.write(into: &writer)
        writer.finish()
        return writer.bytes
    }

    /// The measurement families of one snapshot in the text format 0.0.4,
    /// each family's series in interface, rule and protocol class order.
    public func measurementText(_ snapshot: ExportSnapshot) -> [UInt8] {
        var writer = TextExpositionWriter()
        write(snapshot, into: &writer)
        return writer.bytes
    }

    private func write(_ snapshot: ExportSnapshot, into writer: inout TextExpositionWriter) {
        let scopes = snapshot.interfaces.flatMap(activeScopes)
        for (family, (_, fields)) in zip(MetricFamilies.counters, CounterLayout.families) {
            writer.write(
                family,
                scopes.lazy.flatMap { scope in
                    fields.map { field in
                        let labels = field.metric?.kind.map { scope.labels.adding("kind", $0) } ?? scope.labels
                        return (labels, TextExpositionWriter.Value.integer(scope.totals[field]))
                    }
                })
        }
        writer.write(
            MetricFamilies.jitterMean,
            scopes.lazy.compactMap { scope in scope.jitter.map { (scope.labels, .real($0.meanNanoseconds / 1e9)) } })
        writer.write(
            MetricFamilies.jitterStddev,
            scopes.lazy.compactMap { scope in scope.jitter.map { (scope.labels, .real($0.stddevNanoseconds / 1e9)) } })
        writer.write(
            MetricFamilies.sequenceLast,
            scopes.lazy.compactMap { scope in
                scope.totals.sequenceLast.map { (scope.labels, .integer(UInt64($0))) }
            })

        let protocols = snapshot.interfaces.flatMap(protocolJitter)
        writer.write(
            MetricFamilies.protocolJitterMean, protocols.map { ($0.labels, .real($0.jitter.meanNanoseconds / 1e9)) })
        writer.write(
            MetricFamilies.protocolJitterStddev, protocols.map { ($0.labels, .real($0.jitter.stddevNanoseconds / 1e9)) }
        )

        // Always present, zero or not: a handful of series per interface,
        // and alerts on them need a series to start from.
        let interfaces = snapshot.interfaces.map { (RenderedLabels(MetricFamilies.perInterface, [$0.name]), $0.totals) }
        func tally(_ family: MetricFamily, _ value: (MeasurementTotals) -> UInt64) {
            writer.write(family, interfaces.map { ($0.0, .integer(value($0.1))) })
        }
        tally(MetricFamilies.unmatchedPackets) { $0.unmatched.packets }
        tally(MetricFamilies.unmatchedBytes) { $0.unmatched.bytes }
        tally(MetricFamilies.nonIPPackets) { $0.total(.nonIP).packets }
        tally(MetricFamilies.nonIPBytes) { $0.total(.nonIP).bytes }
        tally(MetricFamilies.otherDirectionPackets) { $0.total(.otherDirection).packets }
        writer.write(
            MetricFamilies.malformedPackets,
            interfaces.flatMap { labels, totals in
                MetricFamilies.malformedReasons.map { slot, reason in
                    (labels.adding("reason", reason), TextExpositionWriter.Value.integer(totals.total(slot).packets))
                }
            })
        let tables: [(name: String, held: (FlowTableFill) -> Int, evicted: (FlowTableFill) -> UInt64)] = [
            ("sequence", \.held, \.evicted), ("view", \.viewHeld, \.viewEvicted),
        ]
        writer.write(
            MetricFamilies.flowsHeld,
            interfaces.flatMap { labels, totals in
                tables.map { (labels.adding("table", $0.name), .integer(UInt64($0.held(totals.flowTable)))) }
            })
        writer.write(
            MetricFamilies.flowsEvicted,
            interfaces.flatMap { labels, totals in
                tables.map { (labels.adding("table", $0.name), .integer($0.evicted(totals.flowTable))) }
            })

        if let events = snapshot.events {
            // Every kind, zero or not, so that alerts have a series to start from.
            writer.write(
                MetricFamilies.events,
                EventKind.allCases.map { kind in
                    (
                        RenderedLabels(MetricFamilies.events.labels, [kind.levelName, kind.name]),
                        TextExpositionWriter.Value.integer(events.received[kind] ?? 0)
                    )
                })
            writer.write(
                MetricFamilies.eventsDropped,
                [("ring_full", events.lost), ("cap", events.capped)].map {
                    (RenderedLabels(MetricFamilies.eventsDropped.labels, [$0.0]), .integer($0.1))
                })
        }

        // log2 buckets from 1 µs to about 1 s: below, a bucket's count
        // accumulates into the first; above, into +Inf. The sum is not
        // known exactly: each sample counts as its bucket's midpoint.
        writer.writeHistograms(
            MetricFamilies.stackLatency,
            snapshot.latency.map { histogram in
                let label = label(ofRule: histogram.rule)
                var cumulative: UInt64 = 0
                var buckets: [(upperBound: Double, count: UInt64)] = []
                for (bucket, count) in histogram.buckets.enumerated() {
                    cumulative += count
                    if (9...29).contains(bucket) {
                        buckets.append((Double(StackLatency.bound(bucket)) / 1e9, cumulative))
                    }
                }
                let sum = histogram.buckets.enumerated().reduce(0.0) {
                    $0 + Double($1.element) * 1.5 * Double(UInt64(1) << UInt64(min($1.offset, 62))) / 1e9
                }
                return (
                    RenderedLabels(MetricFamilies.stackLatency.labels, [label, histogram.stage.name]), buckets, sum,
                    histogram.samples
                )
            })

        writer.write(
            MetricFamilies.stackDrops,
            snapshot.drops.map { drop in
                let label = label(ofRule: drop.rule)
                return (
                    RenderedLabels(MetricFamilies.stackDrops.labels, [label, drop.stage.name, drop.reasonName]),
                    TextExpositionWriter.Value.integer(drop.packets)
                )
            })

        if let kpis = snapshot.kpis {
            let byRule = kpis.rules.sorted { $0.key < $1.key }.map { index, tally in
                (label: label(ofRule: index), tally: tally)
            }
            let ends: [ConnectionKPIs.End] = [.fin, .reset, .notEstablished]
            writer.write(
                MetricFamilies.kpiConnections,
                byRule.flatMap { rule in
                    ends.map { end in
                        (
                            RenderedLabels(MetricFamilies.kpiConnections.labels, [rule.label, end.name]),
                            TextExpositionWriter.Value.integer(rule.tally.connections[end] ?? 0)
                        )
                    }
                })
            func writeCounts(_ family: MetricFamily, _ count: KeyPath<KPITally.Rule, UInt64>) {
                writer.write(
                    family,
                    byRule.map { (RenderedLabels(family.labels, [$0.label]), .integer($0.tally[keyPath: count])) })
            }
            if kpis.chosen.contains(.retransmissions) {
                writeCounts(MetricFamilies.kpiRetransmissions, \.retransmissions)
            }
            // Durations need no KPI: every record has its start and end.
            for (family, histogram, bounds, needs) in [
                (MetricFamilies.kpiRTT, \KPITally.Rule.rtt, KPITally.rttBounds, KPI.rtt as KPI?),
                (MetricFamilies.kpiDuration, \KPITally.Rule.duration, KPITally.durationBounds, nil),
            ] where needs.map(kpis.chosen.contains) ?? true {
                writer.writeHistograms(
                    family,
                    byRule.map { rule in
                        let one = rule.tally[keyPath: histogram]
                        return (
                            RenderedLabels(family.labels, [rule.label]), one.buckets(bounds), one.sum, one.count
                        )
                    })
            }
            if kpis.chosen.contains(.mptcp) {
                writeCounts(MetricFamilies.kpiMPTCPConnections, \.mptcpConnections)
                writeCounts(MetricFamilies.kpiMPTCPSubflows, \.mptcpSubflows)
                writeCounts(MetricFamilies.kpiMPTCPReinjected, \.reinjectedBytes)
            }
        }

        let programs = snapshot.programs.map {
            (RenderedLabels(MetricFamilies.programRuns.labels, [$0.program, $0.interface ?? ""]), $0)
        }
        writer.write(MetricFamilies.programRuns, programs.map { ($0.0, .integer($0.1.runs)) })
        writer.write(
            MetricFamilies.programRunSeconds, programs.map { ($0.0, .real(Double($0.1.nanoseconds) / 1e9)) })
    }

    /// One (interface, protocol class, rule) that counted something.
    private struct Scope {
        var labels: RenderedLabels
        var totals: ScopeTotals
        /// The last jitter window, when it had samples.
        var jitter: JitterStatistics?
    }

    /// A ruleset may have 100k rules: a series appears once it counts.
    private func activeScopes(of interface: ExportedInterface) -> [Scope] {
        var scopes: [Scope] = []
        for rule in rules {
            for protocolClass in ProtocolClass.allCases {
                let totals = interface.totals.rule(rule.index, protocolClass)
                guard totals.hasCounts else { continue }
                scopes.append(
                    Scope(
                        labels: RenderedLabels(
                            MetricFamilies.series, [interface.name, protocolClass.name, rule.label]),
                        totals: totals,
                        jitter: JitterStatistics(
                            from: interface.jitterFrom.rule(rule.index, protocolClass),
                            to: interface.jitterTo.rule(rule.index, protocolClass))))
            }
        }
        return scopes
    }

    private func protocolJitter(of interface: ExportedInterface) -> [(labels: RenderedLabels, jitter: JitterStatistics)]
    {
        ProtocolClass.allCases.compactMap { protocolClass in
            JitterStatistics(
                from: interface.jitterFrom.protocolClass(protocolClass),
                to: interface.jitterTo.protocolClass(protocolClass)
            ).map {
                (RenderedLabels(MetricFamilies.protocolJitterMean.labels, [interface.name, protocolClass.name]), $0)
            }
        }
    }
}

extension ScopeTotals {
    /// Whether anything was counted in this scope.
    var hasCounts: Bool {
        CounterField.allCases.contains { self[$0] != 0 } || sequenceLast != nil
    }
}
