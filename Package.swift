// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let grpc: [Target.Dependency] = [
    .product(name: "GRPCCore", package: "grpc-swift-2"),
    .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
    .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
    .product(name: "SwiftProtobuf", package: "swift-protobuf"),
]

let package = Package(
    name: "tollgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tollgate", targets: ["tollgate"]),
        .executable(name: "tollgate-agent", targets: ["tollgate-agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        // No default traits: BinaryDelimitedStreams imports full Foundation into everything that links
        // SwiftProtobuf (the agent links FoundationEssentials only); grpc-swift-protobuf opts out too.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0", traits: []),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // The rendered file set and its digest, hex encoding. Shared by the renderer, snapshots and the agent.
        .target(name: "TollgateFiles", dependencies: [.product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
        // Codable types for the Kubernetes objects Tollgate reads, object keys, conditions.
        .target(name: "TollgateModel", dependencies: ["TollgateFiles"], swiftSettings: strict),
        // What a Kubernetes API server would refuse: CRD schema and CEL rules, built-in kinds' rules.
        .target(name: "TollgateAdmission", dependencies: ["TollgateModel"], swiftSettings: strict),
        // Manifest decoding (YAML/JSON, multi-document), the directory loader, status printing.
        .target(name: "TollgateManifests", dependencies: [
            "TollgateModel", "TollgateAdmission", .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),
        // Store -> Graph: references, attachment, validation, every Gateway API condition.
        .target(name: "TollgateGraph", dependencies: [
            "TollgateModel", "TollgateAdmission",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        // Graph -> dataplane IR -> NGINX files. Nothing else knows NGINX syntax.
        .target(name: "TollgateNginx", dependencies: [
            "TollgateFiles", "TollgateModel", "TollgateGraph",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        // Versioned file sets: digest, bounded history, delta, unified diff, path safety. Pure.
        .target(name: "TollgateSnapshot", dependencies: [
            "TollgateFiles", .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        // Generated protobuf/gRPC code for proto/tollgate/v1 (scripts/generate-proto.sh).
        .target(name: "TollgateProto", dependencies: grpc, swiftSettings: strict),
        // The agent beside NGINX: stream client, atomic applier, NGINX control, version probe.
        .target(name: "TollgateAgent", dependencies: [
            "TollgateFiles", "TollgateSnapshot", "TollgateProto", .product(name: "Logging", package: "swift-log"),
        ] + grpc, swiftSettings: strict),
        // The agent's command line and main loop, shared by `tollgate agent` and `tollgate-agent`.
        .target(name: "TollgateAgentCLI", dependencies: [
            "TollgateAgent", "TollgateFiles", .product(name: "Logging", package: "swift-log"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),
        // The agent alone: no controller code and no full Foundation (FoundationEssentials only),
        // for a small resident set beside every NGINX.
        .executableTarget(name: "tollgate-agent", dependencies: ["TollgateAgentCLI"], swiftSettings: strict,
                         linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "--start-group", "-Xlinker", "-l_FoundationCShims", "-Xlinker", "-l_FoundationCollections", "-Xlinker", "--end-group", "-Xlinker", "--no-export-dynamic"], .when(platforms: [.linux]))]),
        // The controller: providers, reconcile loop, snapshot server, admin service, status.
        .target(name: "TollgateControlPlane", dependencies: [
            "TollgateFiles", "TollgateModel", "TollgateAdmission", "TollgateManifests", "TollgateGraph", "TollgateNginx", "TollgateSnapshot", "TollgateProto",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCertificateReloading", package: "swift-nio-extras"),
        ] + grpc, swiftSettings: strict),
        // Our Kubernetes client: kubeconfig and in-cluster config, typed errors, list/watch
        // informers, status updates with conflict retry, Lease leader election. JSON in, JSON out.
        .target(name: "TollgateKube", dependencies: [
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),
        // Kubernetes mode: the Kubernetes provider, status writes, the CA Secret, leader election,
        // the /metrics, /healthz and /readyz endpoint.
        .target(name: "TollgateKubernetes", dependencies: [
            "TollgateKube", "TollgateModel", "TollgateManifests", "TollgateControlPlane",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: strict),
        // The thin CLI.
        .executableTarget(name: "tollgate", dependencies: [
            "TollgateFiles", "TollgateModel", "TollgateManifests", "TollgateGraph", "TollgateNginx",
            "TollgateSnapshot", "TollgateProto", "TollgateAgent", "TollgateAgentCLI", "TollgateControlPlane", "TollgateKube", "TollgateKubernetes",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        // An in-test Kubernetes API server (the real REST wire protocol over HTTPS) that kubectl drives.
        .target(name: "KubeAPIServerDouble", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/KubeAPIServerDouble", swiftSettings: strict),
        .testTarget(name: "TollgateTests", dependencies: [
            "TollgateFiles", "TollgateModel", "TollgateManifests", "TollgateGraph", "TollgateNginx",
            "TollgateSnapshot", "TollgateProto", "TollgateAgent", "TollgateControlPlane", "TollgateAdmission",
            "TollgateKube", "TollgateKubernetes", "KubeAPIServerDouble",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
        ] + grpc, exclude: ["Fixtures"], swiftSettings: strict),
    ]
)
