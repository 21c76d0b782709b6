// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "tollgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tollgate", targets: ["tollgate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // Codable types for the Kubernetes objects Tollgate reads, object keys, conditions.
        .target(name: "TollgateModel", swiftSettings: strict),
        // Manifest decoding (YAML/JSON, multi-document) and the directory loader.
        .target(name: "TollgateManifests", dependencies: [
            "TollgateModel", .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),
        // Store -> Graph: references, attachment, validation, every Gateway API condition.
        .target(name: "TollgateGraph", dependencies: [
            "TollgateModel",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        // Graph -> dataplane IR -> NGINX files. Nothing else knows NGINX syntax.
        .target(name: "TollgateNginx", dependencies: [
            "TollgateModel", "TollgateGraph",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        // The thin CLI.
        .executableTarget(name: "tollgate", dependencies: [
            "TollgateModel", "TollgateManifests", "TollgateGraph", "TollgateNginx",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),
        .testTarget(name: "TollgateTests", dependencies: [
            "TollgateModel", "TollgateManifests", "TollgateGraph", "TollgateNginx",
            .product(name: "Yams", package: "Yams"),
        ], exclude: ["Fixtures"], swiftSettings: strict),
    ]
)
