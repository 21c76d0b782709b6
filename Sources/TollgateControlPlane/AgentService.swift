import GRPCCore
import GRPCNIOTransportHTTP2
import TollgateProto

/// The agent stream: hello, then snapshots out and results in.
public struct AgentService: Tollgate_V1_AgentService.SimpleServiceProtocol {
    let core: ControllerCore
    /// Over TCP: the agent's client certificate must name the Gateway it asks for.
    let requireGatewayCertificate: Bool

    public init(core: ControllerCore, requireGatewayCertificate: Bool) {
        self.core = core
        self.requireGatewayCertificate = requireGatewayCertificate
    }

    public func connect(request: RPCAsyncSequence<Tollgate_V1_AgentMessage, any Error>,
                        response: RPCWriter<Tollgate_V1_ControllerMessage>, context: ServerContext) async throws {
        var messages = request.makeAsyncIterator()
        guard let first = try await messages.next(), case .hello(var hello)? = first.kind else {
            throw RPCError(code: .invalidArgument, message: "the first message of the stream must be a hello")
        }
        // A big hello comes with its file hashes continued in FileHashes messages.
        var more = hello.moreFileHashes
        while more {
            guard let next = try await messages.next(), case .fileHashes(let part)? = next.kind else {
                throw RPCError(code: .invalidArgument, message: "a hello with more_file_hashes must be followed by FileHashes messages")
            }
            hello.fileHashes.merge(part.fileHashes) { a, _ in a }
            guard hello.fileHashes.count <= HelloValidation.maxFileHashes else {
                throw RPCError(code: .invalidArgument, message: "hello.file_hashes has more than \(HelloValidation.maxFileHashes) entries")
            }
            more = part.more
        }
        hello.moreFileHashes = false
        if requireGatewayCertificate {
            let peer = (context.transportSpecific as? HTTP2ServerTransport.Posix.Context)?.peerCertificate
            guard let peer else {
                throw RPCError(code: .unauthenticated, message: "a client certificate issued by the controller's CA is required")
            }
            let named = InternalCA.gateway(named: peer)
            guard named == hello.gateway else {
                throw RPCError(code: .permissionDenied,
                               message: "the client certificate names Gateway \(named ?? "(none)"), not \(hello.gateway); snapshots hold private keys and are sent only to that Gateway's agents")
            }
        }
        let valid: AgentHello
        do { valid = try AgentWire.hello(hello) } catch {
            await core.refused(hello: error)
            throw RPCError(code: .invalidArgument, message: error.description)
        }
        let (session, outbox) = await core.connect(hello: valid)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await delivery in outbox {
                        for message in AgentWire.messages(delivery) { try await response.write(message) }
                    }
                }
                while let message = try await messages.next() {
                    switch message.kind {
                    case .result(let r)?:
                        if let report = AgentWire.report(r) { await core.result(session: session, report) }
                    case .health(let h)?: await core.health(session: session, serving: h.serving, reason: h.reason)
                    default: break
                    }
                }
                group.cancelAll()
            }
        } catch {
            await core.disconnect(session: session)
            throw error
        }
        await core.disconnect(session: session)
    }
}
