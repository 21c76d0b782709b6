import ArgumentParser
import Foundation
import Logging
import TollgateControlPlane
import TollgateKube
import TollgateKubernetes

/// How the controller reaches a Kubernetes API server (`--provider kubernetes`, `certs issue-agent --kubeconfig`).
struct KubernetesConnection: ParsableArguments {
    @Option(help: "Kubeconfig file (default: in-cluster service account when in a pod, else $KUBECONFIG, else ~/.kube/config).")
    var kubeconfig: String?
    @Option(help: "Namespace holding the CA Secret and the Lease (default: the pod's namespace in a cluster, else tollgate-system).")
    var namespace: String?

    /// The client configuration: `--kubeconfig`, else in-cluster when the service variables are
    /// set, else kubectl's default files.
    func config() throws -> KubeConfig {
        let env = ProcessInfo.processInfo.environment
        if let kubeconfig { return try KubeConfig.load(kubeconfigPath: kubeconfig) }
        if let host = env["KUBERNETES_SERVICE_HOST"], !host.isEmpty { return try KubeConfig.inCluster() }
        return try KubeConfig.load()
    }

    /// `--namespace`, else the in-cluster namespace, else `tollgate-system`.
    func controllerNamespace(_ config: KubeConfig) -> String {
        if let namespace { return namespace }
        if case .inCluster = config.source { return config.namespace }
        return "tollgate-system"
    }
}

/// Options of `tollgate controller --provider kubernetes`.
struct KubernetesControllerOptions: ParsableArguments {
    @OptionGroup var connection: KubernetesConnection
    @Option(help: "Serve only this GatewayClass (default: every class whose controllerName is Tollgate's).")
    var gatewayClass: String?
    @Option(help: "Read namespaced objects from this namespace only; repeatable (default: all namespaces).")
    var watchNamespace: [String] = []
    @Flag(help: "Elect a leader among replicas with a coordination.k8s.io/v1 Lease; only the leader writes status and serves agents.")
    var leaderElect = false
    @Option(help: "Lease name.") var leaderElectLeaseName = "tollgate-controller"
    @Option(help: "Seconds a Lease is valid without renewal.") var leaderElectLeaseDuration = 15.0
    @Option(help: "Seconds a leader keeps trying to renew before it stops leading.") var leaderElectRenewDeadline = 10.0
    @Option(help: "Seconds between tries to acquire or renew.") var leaderElectRetryPeriod = 2.0
    @Option(help: "This replica's identity in the Lease (default: $POD_NAME, else the host name and pid).")
    var leaderElectIdentity: String?
    @Option(help: "A DNS name or IP the agents use to reach the controller (put in its certificate); repeatable.")
    var serverName: [String] = []
    @Option(help: "Seconds the agents' TLS server certificate is valid; it is renewed at two thirds of that, without dropping agent streams.")
    var serverCertificateLifetime: Double = 365 * 86_400
    @Option(help: "With --provider kubernetes: HOST:PORT serving GET /metrics (Prometheus), /healthz and /readyz over plain HTTP; \"\" or off: none.")
    var metricsAddress = MetricsAddress.standard.description

    func validate() throws {
        do { _ = try MetricsAddress.parse(metricsAddress) } catch { throw ValidationError("--metrics-address: \(error)") }
        guard leaderElectLeaseDuration > leaderElectRenewDeadline, leaderElectRenewDeadline > leaderElectRetryPeriod, leaderElectRetryPeriod > 0 else {
            throw ValidationError("leader election needs lease duration > renew deadline > retry period > 0")
        }
    }

    /// `--metrics-address`, nil when off.
    func metrics() throws -> MetricsAddress? { try MetricsAddress.parse(metricsAddress) }

    func leaderElection(namespace: String) -> LeaderElectionConfig? {
        guard leaderElect else { return nil }
        let env = ProcessInfo.processInfo.environment
        let identity = leaderElectIdentity ?? env["POD_NAME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "\(ProcessInfo.processInfo.hostName)_\(getpid())"
        return LeaderElectionConfig(identity: identity, leaseName: leaderElectLeaseName, leaseNamespace: namespace,
                                    leaseDuration: .milliseconds(Int(leaderElectLeaseDuration * 1000)),
                                    renewDeadline: .milliseconds(Int(leaderElectRenewDeadline * 1000)),
                                    retryPeriod: .milliseconds(Int(leaderElectRetryPeriod * 1000)))
    }
}
