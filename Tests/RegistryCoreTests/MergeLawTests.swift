import RegistryCore
import RegistryTestSupport
import Testing

@Suite("CRDT merge laws")
struct MergeLawTests {
    /// A small history with concurrent identity edits, an add racing a remove, events and a late write.
    static func smallHistory(seed: UInt64) -> [ChangeSet] {
        var rng = SeededRandom(seed: seed)
        var a = InMemoryReplica(id: ReplicaID(high: 1, low: 1))
        var b = InMemoryReplica(id: ReplicaID(high: 2, low: 2))
        var sets: [ChangeSet] = []
        for step in 0..<5 {
            var replica = step.isMultiple(of: 2) ? a : b
            sets.append(Scenario.randomEdit(&replica, wall: 1000 + UInt64(step), rng: &rng, allowErase: step == 4))
            if step.isMultiple(of: 2) { a = replica } else { b = replica }
            if step == 2 { for set in a.known { b.receive(set) } }
        }
        return sets
    }

    @Test("every permutation of a small history, with a repeat, gives the same state", arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func permutationsAgree(seed: UInt64) {
        let history = Self.smallHistory(seed: seed)
        var reference: InMemoryReplica?
        for order in permutations(of: Array(history.indices)) {
            var replica = InMemoryReplica(id: ReplicaID(high: 9, low: 9))
            for index in order { replica.receive(history[index]) }
            replica.receive(history[order[0]])  // idempotence: a repeated delivery changes nothing
            if let reference {
                #expect(replica.records == reference.records, "seed \(seed) order \(order)")
                #expect(replica.views == reference.views, "seed \(seed) order \(order)")
            } else {
                reference = replica
            }
        }
        #expect(reference?.records.isEmpty == false)
    }

    @Test("state merge is commutative, associative, idempotent and equals applying the union")
    func stateMergeLaws() {
        let seed = SeededRandom.seedFromEnvironment(default: 0xC0FFEE)
        print("stateMergeLaws seed \(seed) (replay with REGSYNC_SEED=\(seed))")
        var rng = SeededRandom(seed: seed)
        for round in 0..<200 {
            let history = Self.smallHistory(seed: rng.next())
            // Three overlapping subsets, each materialised separately.
            let subsets = (0..<3).map { _ in history.filter { _ in rng.next() % 2 == 0 } }
            let states = subsets.map(Self.materialise)
            let (x, y, z) = (states[0], states[1], states[2])
            #expect(merged(x, y) == merged(y, x), "seed \(seed) round \(round): commutative")
            #expect(merged(merged(x, y), z) == merged(x, merged(y, z)), "seed \(seed) round \(round): associative")
            #expect(merged(x, x) == x, "seed \(seed) round \(round): idempotent")
            #expect(merged(x, y) == Self.materialise(subsets[0] + subsets[1]), "seed \(seed) round \(round): union")
        }
    }

    static func materialise(_ sets: [ChangeSet]) -> [RecordID: RecordState] {
        var replica = InMemoryReplica(id: ReplicaID(high: 7, low: 7))
        for set in sets { replica.receive(set) }
        return replica.records
    }

    func merged(_ lhs: [RecordID: RecordState], _ rhs: [RecordID: RecordState]) -> [RecordID: RecordState] {
        lhs.merging(rhs) { mine, theirs in
            var state = mine
            state.merge(theirs)
            return state
        }
    }

    @Test("N replicas receiving the same changes in different orders, with duplicates, converge")
    func randomConvergence() {
        let seed = SeededRandom.seedFromEnvironment(default: 20_261_122)
        print("randomConvergence seed \(seed) (replay with REGSYNC_SEED=\(seed))")
        var rng = SeededRandom(seed: seed)
        for run in 0..<50 {
            let count = 3 + Int(rng.next() % 4)
            var replicas = (0..<count).map { InMemoryReplica(id: ReplicaID(high: UInt64($0 + 1), low: rng.next())) }
            var inFlight: [ChangeSet] = []
            for step in 0..<60 {
                let at = Int(rng.next() % UInt64(count))
                inFlight.append(Scenario.randomEdit(&replicas[at], wall: 10_000 + UInt64(step) * 7, rng: &rng))
                // Partial, reordered, duplicated gossip while edits go on.
                for _ in 0..<Int(rng.next() % 4) {
                    let to = Int(rng.next() % UInt64(count))
                    replicas[to].receive(inFlight.randomElement(using: &rng)!)
                }
            }
            for index in replicas.indices {
                for set in inFlight.shuffled(using: &rng) + inFlight.shuffled(using: &rng).prefix(10) {
                    replicas[index].receive(set)
                }
            }
            let first = replicas[0]
            for other in replicas.dropFirst() {
                #expect(other.records == first.records, "seed \(seed) run \(run): states differ")
                #expect(other.views == first.views, "seed \(seed) run \(run): views differ")
            }
        }
    }
}

/// All orderings of `items` (Heap's algorithm); small inputs only.
func permutations<T>(of items: [T]) -> [[T]] {
    var items = items
    var result: [[T]] = []
    func generate(_ k: Int) {
        if k <= 1 { result.append(items); return }
        for i in 0..<k {
            generate(k - 1)
            items.swapAt(k.isMultiple(of: 2) ? i : 0, k - 1)
        }
    }
    generate(items.count)
    return result
}
