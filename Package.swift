// swift-tools-version: 6.1
// RegistrySync: offline-first registration replicas, CRDT-merged, sealed with libsodium.
import PackageDescription

/// Settings every target of ours shares: Swift 6 mode, imports internal unless said `public`.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

/// How the release daemon is linked on Linux, to keep an idle site small (Daemon/OPERATIONS.md):
/// with lld, relative relocations packed (DT_RELR: kilobytes instead of megabytes of relocation
/// records read at start-up) and no export of our own symbols (`--static-swift-stdlib` exports them
/// all otherwise, megabytes of symbol tables the dynamic loader walks).
let daemonReleaseLinkFlags = ["-use-ld=lld", "-Xlinker", "--no-export-dynamic", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"]

let package = Package(
    name: "RegistrySync",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "regsync", targets: ["regsync"]),
        .executable(name: "regsyncd", targets: ["regsyncd"]),
        .library(name: "RegistryCore", targets: ["RegistryCore"]),
        .library(name: "RegistryCrypto", targets: ["RegistryCrypto"]),
        .library(name: "RegistryStorage", targets: ["RegistryStorage"]),
        .library(name: "RegistryMatching", targets: ["RegistryMatching"]),
        .library(name: "RegistryReplica", targets: ["RegistryReplica"]),
        .library(name: "RegistryProtocol", targets: ["RegistryProtocol"]),
        .library(name: "RegistrySync", targets: ["RegistrySync"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", exact: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
    ],
    targets: [
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMalloc"),
        .target(name: "RegistryCore", dependencies: ["CZlib"], swiftSettings: strict),
        .target(name: "RegistryCrypto", dependencies: ["CSodium"], swiftSettings: strict),
        .target(
            name: "RegistryStorage",
            dependencies: [
                "RegistryCore", "RegistryCrypto", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .target(name: "RegistryProtocol", dependencies: ["RegistryCore", "RegistryCrypto"], swiftSettings: strict),
        .target(name: "RegistryMatching", dependencies: ["RegistryCore", "RegistryCrypto"], swiftSettings: strict),
        .target(
            name: "RegistryReplica",
            dependencies: ["RegistryCore", "RegistryCrypto", "RegistryStorage", "RegistryMatching"],
            resources: [.copy("Catalogues")],
            swiftSettings: strict
        ),
        .target(
            name: "RegistrySync",
            dependencies: [
                "RegistryCore", "RegistryCrypto", "RegistryStorage", "RegistryReplica", "RegistryProtocol", "CMalloc",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "regsync",
            dependencies: ["RegistryReplica", "RegistrySync", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "regsyncd",
            dependencies: [
                "RegistrySync", "RegistryCrypto", "RegistryReplica", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict,
            linkerSettings: [.unsafeFlags(daemonReleaseLinkFlags, .when(platforms: [.linux], configuration: .release))]
        ),
        .target(
            name: "RegistryTestSupport",
            dependencies: ["RegistryCore", "RegistryCrypto", "RegistryStorage"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RegistryCoreTests",
            dependencies: ["RegistryCore", "RegistryTestSupport", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RegistryCryptoTests",
            dependencies: ["RegistryCrypto", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RegistryStorageTests",
            dependencies: ["RegistryStorage", "RegistryTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RegistryProtocolTests",
            dependencies: ["RegistryProtocol", "RegistryTestSupport", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strict
        ),
        .testTarget(name: "RegistryMatchingTests", dependencies: ["RegistryMatching"], swiftSettings: strict),
        .testTarget(
            name: "RegistryReplicaTests",
            dependencies: ["RegistryReplica", "RegistryTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(name: "RegsyncCLITests", dependencies: ["regsync"], swiftSettings: strict),
        .testTarget(
            name: "RegistrySyncTests",
            dependencies: [
                "RegistrySync", "RegistryTestSupport", "regsyncd",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
    ]
)
