import Foundation
import RegistryCore
import RegistryCrypto
import RegistryReplica
import RegistryStorage
import RegistrySync
import RegistryTestSupport

let passphrase = SecureBytes(Array("harness passphrase".utf8))

/// A central node and N enrolled sites in a temporary directory.
final class Harness: @unchecked Sendable {
    let dir = TemporaryDirectory("regsync-sync")
    let central: SyncNode
    let responder: CentralResponder
    var sites: [SyncNode] = []
    let metrics = SyncMetrics()

    init(sites count: Int, state: String = "NL") throws {
        let registry = try Registry.initialize(directory: NodeDirectory(dir.file("central")), role: .central, state: state, siteID: "\(state)-CENTRAL", passphrase: passphrase, cost: .minimum)
        central = SyncNode(registry: registry)
        responder = CentralResponder(node: central, metrics: metrics)
        for index in 0..<count { sites.append(try addSite("\(state)-SITE-\(index)")) }
    }

    func addSite(_ name: String, url: String? = nil) throws -> SyncNode {
        let registry = try Registry.initialize(directory: NodeDirectory(dir.file(name.lowercased())), role: .site, state: central.identity.state, siteID: name, passphrase: passphrase, cost: .minimum)
        let node = SyncNode(registry: registry)
        try node.install(try central.sign(try node.enrollmentRequest(), url: url))
        return node
    }

    /// Registers `count` synthetic people at a site (deterministic by seed).
    func register(at site: SyncNode, count: Int, seed: UInt64) throws {
        let file = dir.file("\(site.identity.siteID)-\(seed).csv")
        try SampleRegistrations.csv(count: count, seed: seed, site: site.identity.siteID).write(toFile: file, atomically: true, encoding: .utf8)
        _ = try site.registry.importFile(file)
    }

    /// Every registration a node holds, as export rows without the node-local parts.
    func rows(_ node: SyncNode) throws -> Set<[String: String]> {
        var rows = Set<[String: String]>()
        try node.registry.forEachRegistration { rows.insert($0.columns) }
        return rows
    }

    /// Asserts the convergence properties: equal vectors, the central node holds exactly every
    /// site's registrations (none lost, none duplicated), each site exactly its own.
    func convergenceProblems() throws -> [String] {
        var problems: [String] = []
        let centralVector = try central.store.versionVector
        let centralRows = try rows(central)
        var union = Set<[String: String]>()
        var total = 0
        for site in sites {
            let siteRows = try rows(site)
            total += siteRows.count
            union.formUnion(siteRows)
            if try site.store.versionVector != centralVector { problems.append("\(site.identity.siteID): vector differs from the central node's") }
            let homed = centralRows.filter { $0["site_id"] == site.identity.siteID }
            if homed != siteRows { problems.append("\(site.identity.siteID): \(siteRows.count) rows, central holds \(homed.count) homed there") }
        }
        if centralRows != union { problems.append("central holds \(centralRows.count) rows, sites \(union.count)") }
        if centralRows.count != total { problems.append("duplicated or lost: central \(centralRows.count), sum of sites \(total)") }
        return problems
    }
}
