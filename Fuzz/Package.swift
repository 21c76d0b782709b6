// swift-tools-version:6.1
// libFuzzer targets for Tollgate's input path (manifests written by untrusted tenants).
// A package of its own so the main build (and CI) never sees it; Sources/Tollgate* are symlinks to
// the real module directories. Build and run with scripts/fuzz.sh; see README.md.
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "tollgate-fuzz",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "FuzzDecode", targets: ["FuzzDecode"]),
        .executable(name: "FuzzPipeline", targets: ["FuzzPipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // The library modules, as declared in ../Package.swift (sources are symlinks to ../Sources).
        // TollgateManifests and TollgateGraph also list TollgateAdmission: harmless while they do not
        // import it, and the build keeps working once they do.
        .target(name: "TollgateFiles", dependencies: [.product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
        .target(name: "TollgateModel", dependencies: ["TollgateFiles"], swiftSettings: strict),
        .target(name: "TollgateAdmission", dependencies: ["TollgateModel"], swiftSettings: strict),
        .target(name: "TollgateManifests", dependencies: [
            "TollgateModel", "TollgateAdmission", .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),
        .target(name: "TollgateGraph", dependencies: [
            "TollgateModel", "TollgateAdmission",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        .target(name: "TollgateNginx", dependencies: [
            "TollgateFiles", "TollgateModel", "TollgateGraph",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),

        // Fuzz targets: each defines LLVMFuzzerTestOneInput (build with -sanitize=fuzzer).
        .executableTarget(name: "FuzzDecode", dependencies: ["TollgateManifests"], swiftSettings: strict),
        .executableTarget(name: "FuzzPipeline", dependencies: [
            "TollgateModel", "TollgateAdmission", "TollgateManifests", "TollgateGraph", "TollgateNginx",
        ], swiftSettings: strict),
    ]
)
