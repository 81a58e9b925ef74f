// swift-tools-version: 6.1
// Benchmarks of RegistrySync, in their own package so the main build never pulls them in.
// Storage: `ReplicaBenchmarks` (ordo-one/benchmark) times a 100k-row import and applying 1M peer
// changes, each against a plain-SQLite baseline; `ReplicaFigures` prints the figures, baselines and
// ratios in one run. Sync: `SyncFigures` (wire bytes vs gzip, loopback throughput, slow lossy link,
// idle daemon memory). Matching: `MatchQuality` (FEBRL and a hard synthetic set, speed, match index).
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its directory, which differs between checkouts and
/// worktrees; compute it instead of hard-coding "RegistrySync".
let rootIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../..").standardized.lastPathComponent

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "RegistrySyncBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        // traits: ["MallocInterposer"] keeps swift-runtime-interposer (not mirrored) out; needs tools 6.1+.
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
    ],
    targets: [
        .target(
            name: "ReplicaBenchSupport",
            dependencies: [
                .product(name: "RegistryCore", package: rootIdentity),
                .product(name: "RegistryCrypto", package: rootIdentity),
                .product(name: "RegistryStorage", package: rootIdentity),
                .product(name: "RegistryReplica", package: rootIdentity),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ReplicaBenchmarks",
            dependencies: ["ReplicaBenchSupport", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/ReplicaBenchmarks",
            swiftSettings: strict,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(name: "ReplicaFigures", dependencies: ["ReplicaBenchSupport"], swiftSettings: strict),
        .executableTarget(
            name: "SyncFigures",
            dependencies: [
                .product(name: "RegistrySync", package: rootIdentity),
                .product(name: "RegistryReplica", package: rootIdentity),
                .product(name: "RegistryCrypto", package: rootIdentity),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "MatchQuality",
            dependencies: [.product(name: "RegistryMatching", package: rootIdentity)],
            swiftSettings: strict
        ),
    ]
)
