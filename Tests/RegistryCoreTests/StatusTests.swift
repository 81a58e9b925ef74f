import RegistryCore
import Testing

@Suite("Status rules as data")
struct StatusTests {
    let catalogue = StatusCatalogue(
        state: "NL", version: 1, validFrom: "2022-03-04", initial: "reported",
        statuses: [
            StatusDefinition(code: "reported", label: "Reported", category: .reported, next: ["pending"]),
            StatusDefinition(code: "pending", label: "Application pending", category: .pending, next: ["active", "ended"]),
            StatusDefinition(code: "active", label: "TP granted", category: .active, next: ["inactive", "ended"]),
            StatusDefinition(code: "inactive", label: "Inactive", category: .inactive, next: ["active", "ended"]),
            StatusDefinition(code: "ended", label: "Deregistered", category: .ended, next: []),
        ])

    func event(_ status: String, _ date: String, _ seq: UInt64) -> StatusEvent {
        StatusEvent(status: status, date: date, stamp: Stamp(hlc: HLCTimestamp(milliseconds: seq, counter: 0), dot: Dot(origin: ReplicaID(high: 1, low: 1), seq: seq)))
    }

    @Test("events replay in effective-date order, whatever order they arrived in")
    func orderIndependent() {
        let events = [event("active", "2024-05-01", 3), event("pending", "2024-04-01", 9), event("inactive", "2025-01-10", 1)]
        let outcome = catalogue.currentStatus(of: events)
        #expect(outcome.code == "inactive")
        #expect(outcome.category == .inactive)
        #expect(outcome.anomalies.isEmpty)
        #expect(catalogue.currentStatus(of: events.reversed()) == outcome)
    }

    @Test("a transition the rules do not allow is kept as an anomaly, not applied")
    func anomaly() {
        let outcome = catalogue.currentStatus(of: [event("pending", "2024-01-01", 1), event("ended", "2024-02-01", 2), event("active", "2024-03-01", 3), event("nonsense", "2024-04-01", 4)])
        #expect(outcome.code == "ended")
        #expect(outcome.anomalies.map(\.status) == ["active", "nonsense"])
    }

    @Test("no events means the catalogue's initial status")
    func initial() {
        #expect(catalogue.currentStatus(of: []).code == "reported")
    }
}
