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
        .executable(name: "casebook", targets: ["casebook"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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
            ],
            exclude: ["Index/README.md"],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "casebook",
            dependencies: [
                "Casebook",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CasebookTests",
            dependencies: [
                "Casebook",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSwift
        ),
    ],
    swiftLanguageModes: [.v6]
)
