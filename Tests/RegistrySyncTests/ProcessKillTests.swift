import Foundation
import RegistryCore
import RegistryReplica
import RegistrySync
import RegistryTestSupport
import Testing

/// kill -9 of the central node's daemon mid-batch and of a site's daemon mid-round: after restarts,
/// everything converges and nothing is lost or duplicated.
@Suite("Sync survives kill -9", .serialized)
struct ProcessKillTests {
    static let daemon: String = {
        let products = Bundle.main.bundleURL.path
        for candidate in [products + "/regsyncd", products + "/../regsyncd"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/regsyncd").path
    }()

    func start(_ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.daemon)
        process.arguments = arguments
        process.environment = ["REGSYNC_PASSPHRASE": "harness passphrase", "PATH": "/usr/bin:/bin"]
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    func freePort() -> Int { 20_000 + Int.random(in: 0..<30_000) }

    @Test("regsyncd refuses bad options with a usage error (exit 64) that names the option")
    func usageErrors() throws {
        let dir = TemporaryDirectory("regsyncd-usage")
        for (arguments, message) in [
            (["--bogus"], "unknown option '--bogus'"), (["--dir"], "missing value for '--dir'"),
            (["--dir", "a", "--dir", "b"], "'--dir' given more than once"), (["--dir", "a", "--interval", "soon"], "--interval"),
        ] {
            let process = try start(arguments, log: dir.file("usage.log"))
            process.waitUntilExit()
            #expect(process.terminationStatus == 64, "\(arguments)")
            let log = (try? String(contentsOfFile: dir.file("usage.log"), encoding: .utf8)) ?? ""
            #expect(log.contains(message), "\(arguments): \(log.prefix(200))")
        }
    }

    /// Waits until something accepts TCP connections on the port.
    func waitForHealth(_ port: Int) async throws {
        for _ in 0..<150 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if connected == 0 { return }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        throw SyncError(.transport, "daemon did not come up on \(port)")
    }

    @Test("the central daemon killed mid-batch, then a site daemon killed mid-round; both restarted; all converge")
    func killNine() async throws {
        let seed = SeededRandom.seedFromEnvironment(default: 9_009)
        print("killNine seed \(seed)")
        let port = freePort()
        let url = "http://127.0.0.1:\(port)"
        let harness = try Harness(sites: 0)
        harness.sites = [try harness.addSite("NL-KILL-0", url: url), try harness.addSite("NL-KILL-1", url: url)]
        try harness.register(at: harness.sites[0], count: 1_500, seed: seed)
        try harness.register(at: harness.sites[1], count: 400, seed: seed &+ 1)

        var central = try start(["--dir", harness.dir.file("central"), "--listen", "127.0.0.1:\(port)", "--log-level", "warning"], log: harness.dir.file("central.log"))
        try await waitForHealth(port)
        // Site 0 uploads in small batches while the central daemon is killed under it.
        let synchronizer = SiteSynchronizer(node: harness.sites[0], transport: HTTPSyncTransport(url: url, timeoutSeconds: 2), maxBatchBytes: 4 * 1024)
        let upload = Task { try? await synchronizer.syncOnce() }
        try await Task.sleep(nanoseconds: 400_000_000)
        kill(central.processIdentifier, SIGKILL)
        central.waitUntilExit()
        _ = await upload.value
        let partial = try harness.central.registry.statusReport().summary.byEntity["registration", default: 0]
        print("central held \(partial) of 1500 registrations when killed")
        central = try start(["--dir", harness.dir.file("central"), "--listen", "127.0.0.1:\(port)", "--log-level", "warning"], log: harness.dir.file("central.log"))
        try await waitForHealth(port)

        // Site 1 runs its own daemon; it is killed mid-round and restarted.
        let siteArguments = ["--dir", harness.dir.file("nl-kill-1"), "--interval", "1", "--log-level", "warning"]
        let siteDaemon = try start(siteArguments, log: harness.dir.file("site1.log"))
        try await Task.sleep(nanoseconds: 300_000_000)
        kill(siteDaemon.processIdentifier, SIGKILL)
        siteDaemon.waitUntilExit()
        let restarted = try start(siteArguments, log: harness.dir.file("site1.log"))

        // Site 0 finishes with ordinary rounds; site 1's daemon syncs on its own.
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            _ = try? await synchronizer.syncOnce()
            if try harness.central.registry.statusReport().summary.byEntity["registration", default: 0] == 1_900 { break }
            try await Task.sleep(nanoseconds: 300_000_000)
        }
        // Let site 1 pick up what its scope holds, then stop it gracefully (SIGTERM).
        try await Task.sleep(nanoseconds: 2_500_000_000)
        restarted.terminate()
        restarted.waitUntilExit()
        _ = try? await synchronizer.syncOnce()
        let problems = try harness.convergenceProblems()
        #expect(problems.isEmpty, "seed \(seed): \(problems)")
        #expect(try harness.central.registry.statusReport().summary.byEntity["registration", default: 0] == 1_900)
        #expect(restarted.terminationStatus == 0, "SIGTERM is a graceful shutdown")
        central.terminate()
        central.waitUntilExit()
        #expect(central.terminationStatus == 0)
    }
}
