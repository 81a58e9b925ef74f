import RegistryCore
@testable import RegistryProtocol
import RegistryTestSupport
import Testing

/// A central node in memory: holds change sets in an ``InMemoryReplica``, answers hello, batch and
/// pull the way the real server must (checkHello, resultingVector, Builder, skips for out-of-scope).
struct FakeServer {
    var replica = InMemoryReplica(id: Fixtures.centralID)
    var vector = VersionVector()
    var configuration = SessionConfiguration(siteID: "NL-CENTRAL", role: "central", state: "NL")
    var maxSkew: UInt64 = 10 * 60 * 1000
    /// Which change sets the site receives; the others become skips.
    var inScope: @Sendable (ChangeSet) -> Bool = { _ in true }
    /// Refuse the next message with this.
    var rejectNext: Rejection?
    var batchesApplied = 0
    var changeSetsApplied = 0

    mutating func load(_ changeSets: [ChangeSet]) {
        for changeSet in changeSets {
            replica.receive(changeSet)
            vector.advance(changeSet.origin, to: changeSet.lastSeq)
        }
    }

    mutating func handle(_ message: Message, wall: UInt64) -> Message {
        if let rejection = rejectNext {
            rejectNext = nil
            return .reject(rejection)
        }
        switch message {
        case .hello(let hello):
            do throws(ProtocolError) {
                try SyncSession.checkHello(hello, configuration: configuration, wallClockMilliseconds: wall, maxSkewMilliseconds: maxSkew)
            } catch { return .reject(error.rejection()) }
            return .welcome(
                Welcome(protocolVersion: configuration.protocolVersion, schemaFingerprint: configuration.schemaFingerprint,
                        wallClockMilliseconds: wall, vector: vector))
        case .batch(let batch):
            do throws(ProtocolError) {
                try batch.checkClocks(wallClockMilliseconds: wall, maxSkewMilliseconds: maxSkew)
                let next = try batch.resultingVector(from: vector)
                for changeSet in batch.changeSets where changeSet.lastSeq > vector[changeSet.origin] {
                    replica.receive(changeSet)
                    changeSetsApplied += 1
                }
                vector = next
                batchesApplied += 1
                return .ack(Ack(vector: vector))
            } catch { return .reject(error.rejection()) }
        case .pull(let pull):
            let known = replica.known
            return .batch(
                Batch.answering(
                    pull, serverVector: vector,
                    changeSets: { origin, after in
                        known.filter { $0.origin == origin && $0.lastSeq > after }.sorted { $0.firstSeq < $1.firstSeq }
                    }, inScope: inScope))
        default:
            return .reject(Rejection(code: .malformed, detail: "unexpected \(message.type)"))
        }
    }
}

/// The site's driver: does what the session asks, over real envelopes, with a link that can break.
struct SiteDriver {
    var replica = InMemoryReplica(id: Fixtures.siteID)
    var vector = VersionVector()
    var configuration = SessionConfiguration(maxBatchBytes: 2_000, siteID: "NL-TA-01", state: "NL")
    var sendCounter: UInt64 = 0
    var lastReceived: UInt64 = 0
    var serverLastReceived: UInt64 = 0
    var serverSendCounter: UInt64 = 0
    var uploadsRequested: [UInt64] = []

    mutating func write(_ count: Int, rng: inout SeededRandom, wall: UInt64 = Fixtures.now) {
        let written = Fixtures.registrations(count, on: &replica, rng: &rng, wall: wall)
        for changeSet in written { vector.advance(changeSet.origin, to: changeSet.lastSeq) }
    }

    enum Outcome: Equatable {
        case finished(SessionReport)
        case failed(ProtocolError)
        case linkCut
    }

    /// Runs one session; the link breaks (the response is lost) at the `cutAfter`-th message sent.
    /// `wall` is the site's clock, `serverWall` the server's (the same unless given).
    mutating func sync(with server: inout FakeServer, wall: UInt64 = SessionTests.later, serverWall: UInt64? = nil, cutAfter: Int? = nil) throws -> Outcome {
        var session = SyncSession(configuration: configuration, localOrigin: replica.id, localVector: vector, wallClockMilliseconds: wall)
        var queue = session.start()
        var sent = 0
        while !queue.isEmpty {
            let action = queue.removeFirst()
            switch action {
            case .send(let message):
                sendCounter += 1
                let envelope = Fixtures.siteChannel.seal(message, counter: sendCounter)
                let (request, counter) = try Fixtures.centralChannel.open(envelope, lastCounter: serverLastReceived)
                serverLastReceived = counter
                let answer = server.handle(request, wall: serverWall ?? wall)
                sent += 1
                if let cutAfter, sent >= cutAfter { return .linkCut }
                serverSendCounter += 1
                let reply = Fixtures.centralChannel.seal(answer, counter: serverSendCounter)
                let (response, replyCounter) = try Fixtures.siteChannel.open(reply, lastCounter: lastReceived)
                lastReceived = replyCounter
                queue += session.receive(response)
            case .upload(let afterSeq, let maxBytes):
                uploadsRequested.append(afterSeq)
                var builder = Batch.Builder(maxBytes: maxBytes)
                let own = replica.known.filter { $0.origin == replica.id && $0.firstSeq > afterSeq }.sorted { $0.firstSeq < $1.firstSeq }
                for changeSet in own where !builder.add(changeSet) { break }
                queue += session.uploadReady(builder.build(through: VersionVector()))
            case .apply(let batch):
                // One "transaction": change sets and vector together.
                let next = try batch.resultingVector(from: vector)
                for changeSet in batch.changeSets where changeSet.lastSeq > vector[changeSet.origin] { replica.receive(changeSet) }
                vector = next
                queue += session.applied(newVector: vector)
            case .finished(let report):
                #expect(queue.isEmpty)
                return .finished(report)
            case .failed(let error):
                return .failed(error)
            }
        }
        Issue.record("session stopped without finishing")
        return .linkCut
    }
}

@Suite("Sync session")
struct SessionTests {
    static let otherSite = ReplicaID("0a0a0000-0000-4000-8000-00000000000a")!
    static let farSite = ReplicaID("0b0b0000-0000-4000-8000-00000000000b")!
    /// A day after the fixtures' registrations: when the sessions run.
    static let later = Fixtures.now + 86_400_000

    /// A central node holding 25 registrations from a site in scope and 15 from one out of scope.
    static func populatedServer(seed: UInt64) -> FakeServer {
        var rng = SeededRandom(seed: seed)
        var server = FakeServer()
        var near = InMemoryReplica(id: otherSite)
        var far = InMemoryReplica(id: farSite)
        let nearSets = Fixtures.registrations(25, on: &near, rng: &rng)
        let farSets = Fixtures.registrations(15, on: &far, rng: &rng)
        server.load(nearSets + farSets)
        let farOrigin = farSite
        server.inScope = { $0.origin != farOrigin }
        return server
    }

    static func checkConverged(_ driver: SiteDriver, _ server: FakeServer) {
        // The server has every change of the site; the site has everything in scope and knows the rest was skipped.
        #expect(server.vector[Fixtures.siteID] == driver.vector[Fixtures.siteID])
        #expect(server.vector.isCovered(by: driver.vector))
        for (id, view) in driver.replica.views { #expect(server.replica.views[id] == view) }
        let inScope = server.replica.views.filter { id, _ in server.replica.known.contains { $0.record == id && $0.origin != farSite } }
        for (id, view) in inScope { #expect(driver.replica.views[id] == view, "record \(id)") }
        #expect(!driver.replica.known.contains { $0.origin == farSite })
    }

    @Test("upload and download in several bounded batches, to convergence")
    func fullSync() throws {
        var rng = SeededRandom(seed: 1)
        var server = Self.populatedServer(seed: 2)
        var driver = SiteDriver()
        driver.write(30, rng: &rng)
        let outcome = try driver.sync(with: &server)
        guard case .finished(let report) = outcome else { Issue.record("\(outcome)"); return }
        Self.checkConverged(driver, server)
        #expect(report.changeSetsSent == 30)
        #expect(report.batchesSent > 3)
        #expect(report.changeSetsReceived == 25)
        #expect(report.skipsReceived >= 1)
        #expect(report.batchesReceived > 3)
        #expect(report.rounds == report.batchesReceived + 1)
        #expect(report.finalVector == driver.vector)
        #expect(driver.uploadsRequested.first == 0)

        // A second session has nothing to move: hello, welcome, pull, empty batch.
        let again = try driver.sync(with: &server)
        guard case .finished(let second) = again else { Issue.record("\(again)"); return }
        #expect(second.changeSetsSent == 0 && second.changeSetsReceived == 0 && second.rounds == 1)
    }

    @Test("a link cut at every point resumes to the same state, resending at most one batch")
    func breakAndResume() throws {
        for cut in 1...14 {
            var rng = SeededRandom(seed: 1)
            var server = Self.populatedServer(seed: 2)
            var driver = SiteDriver()
            driver.write(30, rng: &rng)
            let first = try driver.sync(with: &server, cutAfter: cut)
            if case .finished = first { continue }
            #expect(first == .linkCut)
            let uploadedBefore = server.vector[Fixtures.siteID]
            let second = try driver.sync(with: &server)
            guard case .finished(let report) = second else { Issue.record("cut \(cut): \(second)"); continue }
            Self.checkConverged(driver, server)
            // The resumed session starts its upload where the server is, not from zero.
            if uploadedBefore > 0, uploadedBefore < driver.vector[Fixtures.siteID] {
                #expect(driver.uploadsRequested.contains(uploadedBefore))
            }
            #expect(server.changeSetsApplied == 30, "cut \(cut): the server applied each change set once")
            #expect(report.changeSetsSent <= 30)
        }
    }

    @Test("a rejection ends the session; the changes stay queued and go on the next try")
    func rejected() throws {
        var rng = SeededRandom(seed: 3)
        var server = Self.populatedServer(seed: 4)
        var driver = SiteDriver()
        // The site's clock was two hours ahead when these were typed (since fixed): its change sets
        // are refused with clock_skew.
        driver.write(5, rng: &rng, wall: Self.later + 7_200_000)
        let outcome = try driver.sync(with: &server)
        guard case .failed(let error) = outcome else { Issue.record("\(outcome)"); return }
        #expect(error.code == .clockSkew)
        #expect(server.vector[Fixtures.siteID] == 0)
        #expect(driver.replica.known.count == 5)
        // Later, the server's clock has caught up: everything goes.
        let retry = try driver.sync(with: &server, wall: Self.later + 7_300_000)
        guard case .finished = retry else { Issue.record("\(retry)"); return }
        #expect(server.vector[Fixtures.siteID] == driver.vector[Fixtures.siteID])

        // busy, with a retry-after, at any point.
        server.rejectNext = Rejection(code: .busy, detail: "queue full", retryAfterSeconds: 30)
        let busy = try driver.sync(with: &server, wall: Self.later + 7_300_000)
        #expect(busy == .failed(ProtocolError(.busy, "queue full")))
    }

    @Test("the hello clock check: a site clock far ahead is refused before any data moves")
    func helloClockSkew() throws {
        var server = FakeServer()
        var driver = SiteDriver()
        let outcome = try driver.sync(with: &server, wall: Self.later + 3_600_000, serverWall: Self.later)
        guard case .failed(let error) = outcome else { Issue.record("\(outcome)"); return }
        #expect(error.code == .clockSkew)
        #expect(server.batchesApplied == 0)
    }

    @Test("mismatched schema or protocol version: refused by either side")
    func mismatches() throws {
        // Server side: checkHello.
        var server = FakeServer()
        server.configuration.schemaFingerprint = 0xDEAD_BEEF
        var driver = SiteDriver()
        let refused = try driver.sync(with: &server)
        guard case .failed(let error) = refused else { Issue.record("\(refused)"); return }
        #expect(error.code == .schemaMismatch)

        // Client side: the welcome names another schema or version.
        for (version, fingerprint, code) in [(UInt16(1), UInt64(1), RejectionCode.schemaMismatch), (2, Schema.fingerprint, .unsupportedVersion)] {
            var session = SyncSession(
                configuration: SessionConfiguration(siteID: "NL-TA-01", state: "NL"), localOrigin: Fixtures.siteID,
                localVector: VersionVector(), wallClockMilliseconds: Fixtures.now)
            _ = session.start()
            let actions = session.receive(
                .welcome(Welcome(protocolVersion: version, schemaFingerprint: fingerprint, wallClockMilliseconds: 0, vector: VersionVector())))
            guard case .failed(let error) = actions.first else { Issue.record("\(actions)"); continue }
            #expect(error.code == code)
            #expect(session.isOver)
        }

        let config = SessionConfiguration(siteID: "NL-CENTRAL", role: "central", state: "NL")
        let hello = Hello(protocolVersion: 2, schemaFingerprint: Schema.fingerprint, role: "site", siteID: "x", state: "NL",
                          wallClockMilliseconds: Fixtures.now, vector: VersionVector())
        #expect(throws: ProtocolError.self) {
            try SyncSession.checkHello(hello, configuration: config, wallClockMilliseconds: Fixtures.now, maxSkewMilliseconds: 0)
        }
    }

    @Test("unexpected messages and calls fail with malformed")
    func unexpected() {
        func fresh() -> SyncSession {
            SyncSession(
                configuration: SessionConfiguration(siteID: "NL-TA-01", state: "NL"), localOrigin: Fixtures.siteID,
                localVector: VersionVector([Fixtures.siteID: 3]), wallClockMilliseconds: Fixtures.now)
        }
        func failure(_ actions: [SessionAction]) -> RejectionCode? {
            if case .failed(let error) = actions.first { return error.code }
            return nil
        }
        var session = fresh()
        var actions = session.receive(.ack(Ack(vector: VersionVector())))
        #expect(failure(actions) == .malformed)
        session = fresh()
        _ = session.start()
        actions = session.receive(.batch(Batch()))
        #expect(failure(actions) == .malformed)
        session = fresh()
        _ = session.start()
        actions = session.uploadReady(Batch())
        #expect(failure(actions) == .malformed)
        session = fresh()
        _ = session.start()
        actions = session.applied(newVector: VersionVector())
        #expect(failure(actions) == .malformed)
    }

    @Test("the session's step-by-step actions")
    func steps() {
        var session = SyncSession(
            configuration: SessionConfiguration(maxBatchBytes: 1000, siteID: "NL-TA-01", state: "NL"), localOrigin: Fixtures.siteID,
            localVector: VersionVector([Fixtures.siteID: 18]), wallClockMilliseconds: Fixtures.now)
        guard case .send(.hello(let hello)) = session.start().first else { Issue.record("no hello"); return }
        #expect(hello.vector == VersionVector([Fixtures.siteID: 18]))
        #expect(hello.schemaFingerprint == Schema.fingerprint)
        let welcome = Welcome(protocolVersion: 1, schemaFingerprint: Schema.fingerprint, wallClockMilliseconds: 0,
                              vector: VersionVector([Fixtures.siteID: 9]))
        #expect(session.receive(.welcome(welcome)) == [.upload(afterSeq: 9, maxBytes: 1000)])
        var rng = SeededRandom(seed: 1)
        var replica = Fixtures.replica(Fixtures.siteID)
        let sets = Fixtures.registrations(2, on: &replica, rng: &rng)
        guard case .send(.batch(let sent)) = session.uploadReady(Batch(changeSets: [sets[1]])).first else { Issue.record("no batch"); return }
        #expect(sent.through[Fixtures.siteID] == 18)
        #expect(session.receive(.ack(Ack(vector: VersionVector([Fixtures.siteID: 18])))) == [
            .send(.pull(Pull(vector: VersionVector([Fixtures.siteID: 18]), maxBytes: 1000)))
        ])
        #expect(session.receive(.batch(Batch())) == [.finished(session.report)])
        #expect(session.report.rounds == 1 && session.report.batchesSent == 1)
    }
}
