import TollgateGraph
import TollgateModel

/// The servers of an earlier IR build with what each was built from, so that a build of a
/// Gateway where one route changed builds only the servers that route is in.
public struct ServerMemo: Sendable {
    var entries: [String: IRBuilder.ServerEntry] = [:]
    public init() {}
    init(entries: [String: IRBuilder.ServerEntry]) { self.entries = entries }
}

extension IRBuilder {
    /// What a server block's IR adds to the Gateway-wide parts of the IR.
    struct Effects: Sendable {
        /// Header conditions in the order the server first asked for them, with their variables.
        var headers: [(match: MatchModel.HeaderMatch, variable: String)] = []
        var upstreams: [UpstreamIR] = []
        var splits: [SplitIR] = []
        var trusts: [BackendTLS.Trust] = []
        var clientCertificate = false

        mutating func append(_ other: Effects) {
            headers += other.headers; upstreams += other.upstreams; splits += other.splits; trusts += other.trusts
            clientCertificate = clientCertificate || other.clientCertificate
        }
    }

    /// One server's IR with everything it was built from.
    struct ServerEntry: Sendable {
        var hostname: String?
        var owner: String
        var certificates: [TLSMaterial]
        var routes: [RouteModel]
        var tag: String
        var backendClientCertificate: TLSMaterial?
        var systemCABundle: String
        var effects: Effects
        var server: ServerIR

        func builtFrom(hostname: String?, owner: ListenerModel, routes: [RouteModel], tag: String, state: State) -> Bool {
            self.hostname == hostname && self.owner == IRBuilder.State.listenerID(owner) && self.tag == tag
                && certificates == owner.certificates && backendClientCertificate == state.gateway.backendClientCertificate
                && systemCABundle == state.systemCABundle && self.routes == routes
        }
    }
}
