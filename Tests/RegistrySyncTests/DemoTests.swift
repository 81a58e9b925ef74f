import Foundation
import RegistrySync
import RegistryTestSupport
import Testing

@Suite("The README's demo", .serialized)
struct DemoTests {
    @Test("three sites, one behind a flaky link, converge with the central node, which finds the person registered twice")
    func demoConverges() async throws {
        let dir = TemporaryDirectory("regsync-demo-test")
        var options = LoopbackDemo.Options(directory: dir.path)
        options.registrationsPerSite = 60
        let report = try await LoopbackDemo(options: options).run()
        #expect(report.converged)
        #expect(report.centralRegistrations == 3 * 60 + 2)
        #expect(report.sites.map(\.registrations) == [61, 60, 61])
        #expect(report.duplicatePairs.count == 1, "the man registered at two sites: \(report.duplicatePairs)")
        #expect(report.sites.first { $0.flakyLink }?.rounds ?? 0 > 0)
        #expect(report.bytesMoved > 0)
        #expect(report.walkInFlaggedByMatchIndex, "the walk-in is flagged offline through the match index")
    }
}
