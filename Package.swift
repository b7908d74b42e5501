// swift-tools-version: 6.1
import PackageDescription

// Release builds of the hot kernels rely on the optimiser; nothing here needs unsafe flags.
let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Casebook",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Casebook", targets: ["Casebook"]),
        .library(name: "CasebookServer", targets: ["CasebookServer"]),
        .library(name: "CasebookBench", targets: ["CasebookBench"]),
        .executable(name: "casebook", targets: ["casebook"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CLAPACKE",
            pkgConfig: "lapacke",
            providers: [.apt(["liblapacke-dev"])]
        ),
        .target(name: "CasebookKernels"),
        .target(
            name: "Casebook",
            dependencies: [
                "CasebookKernels",
                "COpenBLAS",
                "CLAPACKE",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Index/README.md"],
            swiftSettings: strictSwift
        ),
        .target(
            name: "CasebookServer",
            dependencies: [
                "Casebook",
                "CasebookMCP",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSwift
        ),
        // Casebook's tools for LLM agents over the Model Context Protocol, whatever the transport
        // (`casebook mcp` runs them on stdio, `casebook serve --mcp` over HTTP at /mcp).
        .target(
            name: "CasebookMCP",
            dependencies: [
                "Casebook",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .target(name: "UnixSocketHTTP", swiftSettings: strictSwift),
        // What the CLI and the benchmark commands share: errors, line reading, progress, JSON output.
        .target(
            name: "CommandLineSupport",
            dependencies: ["Casebook", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSwift
        ),
        // `casebook bench`: the benchmark commands, their dataset readers and measurement probes,
        // kept out of the library.
        .target(
            name: "CasebookBench",
            dependencies: [
                "Casebook",
                "CasebookKernels",
                "COpenBLAS",
                "CommandLineSupport",
                "UnixSocketHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "casebook",
            dependencies: [
                "Casebook",
                "CasebookServer",
                "CasebookMCP",
                "CasebookBench",
                "CommandLineSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "MCP", package: "swift-sdk"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CasebookTests",
            dependencies: [
                "Casebook",
                "CasebookServer",
                "CasebookBench",
                "UnixSocketHTTP",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
    ],
    swiftLanguageModes: [.v6]
)
