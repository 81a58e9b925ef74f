public import Prometheus

/// The sync metrics a node exposes at `/metrics` (Prometheus text format). Labels are site ids,
/// never personal data.
public final class SyncMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let bytesSent: Counter
    public let bytesReceived: Counter

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        bytesSent = registry.makeCounter(name: "regsync_bytes_sent_total", help: "Bytes of sealed envelopes sent")
        bytesReceived = registry.makeCounter(name: "regsync_bytes_received_total", help: "Bytes of sealed envelopes received")
    }

    public func changesSent(_ peer: String) -> Counter {
        registry.makeCounter(name: "regsync_changes_sent_total", labels: [("peer", peer)], help: "Changes sent")
    }

    public func changesReceived(_ peer: String) -> Counter {
        registry.makeCounter(name: "regsync_changes_received_total", labels: [("peer", peer)], help: "Changes received and applied")
    }

    public func sessions(_ peer: String) -> Counter {
        registry.makeCounter(name: "regsync_sessions_total", labels: [("peer", peer)], help: "Sync sessions started")
    }

    public func failures(_ peer: String) -> Counter {
        registry.makeCounter(name: "regsync_failures_total", labels: [("peer", peer)], help: "Refused messages and failed sessions")
    }

    /// Changes the central node holds for other origins that a site had not seen at its last hello.
    public func lag(_ site: String) -> Gauge {
        registry.makeGauge(name: "regsync_site_lag_changes", labels: [("site", site)], help: "Changes a site had not yet received at its last hello")
    }

    public func lastSeen(_ site: String) -> Gauge {
        registry.makeGauge(name: "regsync_site_last_seen_seconds", labels: [("site", site)], help: "Unix time of the last authentic message from a site")
    }

    /// The text exposition for `/metrics`.
    public func exposition() -> String { registry.emitToString() }
}
