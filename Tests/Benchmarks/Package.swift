// swift-tools-version: 6.1
// Benchmarks of RegistrySync, in their own package so the main build never pulls them in.
// `MatchQuality` measures duplicate detection (quality on FEBRL and a hard synthetic set, speed,
// match-index size and latency). Storage benchmarks (ordo-one/benchmark) go in their own targets.
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its directory, which differs between checkouts and
/// worktrees; compute it instead of hard-coding "RegistrySync".
let rootIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../..").standardized.lastPathComponent

let package = Package(
    name: "RegistrySyncBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
    ],
    targets: [
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
            swiftSettings: [
                .enableUpcomingFeature("InternalImportsByDefault"),
                .enableUpcomingFeature("ExistentialAny"),
            ]
        ),
    ]
)
