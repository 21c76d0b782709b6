import Logging
import TollgateControlPlane
import TollgateKube
import TollgateModel

/// The Kubernetes provider: list + watch informers for every kind Tollgate reads, each object
/// decoded and admitted like a manifest, delivered to the controller as whole stores (changes
/// within `debounce` of each other in one). Object generations are the API server's.
///
/// Secrets: the types that can never hold a certificate or CA bundle — service-account tokens,
/// Helm release payloads (often the bulk of a cluster's Secrets), registry credentials,
/// bootstrap tokens, basic-auth and ssh-auth — are excluded by a field selector
/// (`secretFieldSelector`), so they are never transferred or held in memory. TLS and Opaque
/// Secrets (certificates, CA bundles made with `kubectl create secret generic`) are read.
public struct KubernetesProvider: Provider {
    public struct Options: Sendable {
        /// Namespaces whose namespaced objects are read; empty: all.
        public var watchNamespaces: [String]
        /// Read only this GatewayClass (others with Tollgate's controllerName are left to other
        /// instances); nil: every class with Tollgate's controllerName.
        public var gatewayClassName: String?
        public var informer: InformerOptions
        /// How long to wait after a change for more before delivering.
        public var debounce: Duration

        public init(watchNamespaces: [String] = [], gatewayClassName: String? = nil,
                    informer: InformerOptions = InformerOptions(), debounce: Duration = .milliseconds(50)) {
            self.watchNamespaces = watchNamespaces
            self.gatewayClassName = gatewayClassName
            self.informer = informer
            self.debounce = debounce
        }
    }

    public let client: KubeClient
    public let options: Options
    public let kinds: KubernetesKinds
    /// The raw objects the status writer reads.
    public let assembler: KubeStoreAssembler
    /// The informers while `run` runs (their counters are metrics).
    public let informers = ProviderInformers()
    let logger: Logger
    let plan: [(kind: ObjectKind, namespace: String?)]

    /// Negotiates resource versions with the server (a kind it does not serve is logged and read
    /// as empty until it appears).
    public static func make(client: KubeClient, options: Options = Options(),
                            logger: Logger = Logger(label: "tollgate.kubernetes")) async -> KubernetesProvider {
        var kinds = KubernetesKinds()
        let missing = await kinds.negotiate(with: client)
        for kind in missing {
            logger.warning("the API server does not serve \(kind.rawValue) (\(KubernetesKinds.candidates(kind).map { "\(kind.group.isEmpty ? "" : kind.group + "/")\($0)" }.joined(separator: ", "))): treated as empty until it does")
        }
        return KubernetesProvider(client: client, options: options, kinds: kinds, logger: logger)
    }

    init(client: KubeClient, options: Options, kinds: KubernetesKinds, logger: Logger) {
        self.client = client
        self.options = options
        self.kinds = kinds
        self.logger = logger
        var plan: [(ObjectKind, String?)] = []
        for kind in ObjectKind.allCases {
            if kind.isNamespaced && !options.watchNamespaces.isEmpty {
                for ns in options.watchNamespaces { plan.append((kind, ns)) }
            } else {
                plan.append((kind, nil))
            }
        }
        self.plan = plan
        assembler = KubeStoreAssembler(informers: plan.count, gatewayClassName: options.gatewayClassName, logger: logger)
    }

    /// Secret types Tollgate never reads (see the type's documentation).
    public static let ignoredSecretTypes = [
        "kubernetes.io/service-account-token", "helm.sh/release.v1", "kubernetes.io/dockerconfigjson",
        "kubernetes.io/dockercfg", "bootstrap.kubernetes.io/token", "kubernetes.io/basic-auth", "kubernetes.io/ssh-auth",
    ]
    public static var secretFieldSelector: String { ignoredSecretTypes.map { "type!=\($0)" }.joined(separator: ",") }

    public func run(deliver: @escaping @Sendable (ProviderUpdate) async -> Void) async throws {
        let informers = plan.map { kind, ns in
            Informer(client: client, resource: kinds.resources[kind]!, namespace: ns,
                     fieldSelector: kind == .secret ? Self.secretFieldSelector : nil,
                     options: options.informer, logger: logger)
        }
        await self.informers.hold(informers)
        let assembler = self.assembler
        let debounce = options.debounce
        await withTaskGroup(of: Void.self) { outer in
            outer.addTask {
                for await _ in assembler.ready {
                    try? await Task.sleep(for: debounce)
                    if let state = await assembler.take() {
                        await deliver(ProviderUpdate(store: state.store, changed: state.changed))
                    }
                }
            }
            // Until cancelled: then the informers stop and their event streams finish.
            await withTaskGroup(of: Void.self) { group in
                for (i, informer) in informers.enumerated() {
                    let kind = plan[i].kind
                    group.addTask { await informer.run() }
                    group.addTask {
                        for await event in informer.events { await assembler.apply(event, kind: kind, informer: i) }
                    }
                }
            }
            await assembler.finish()
        }
    }
}
