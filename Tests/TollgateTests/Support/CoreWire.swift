import TollgateControlPlane
import TollgateModel
import TollgateProto

/// The core driven through the agent protocol's messages, converted as `AgentService` converts
/// them (`AgentWire`), so core tests read like the stream an agent sees.
extension ControllerCore {
    nonisolated func connect(hello: Tollgate_V1_Hello) async throws(HelloRefusal) -> (Int, AsyncStream<Tollgate_V1_ControllerMessage>) {
        let valid = try AgentWire.hello(hello)
        let (id, deliveries) = await connect(hello: valid)
        let (stream, cont) = AsyncStream<Tollgate_V1_ControllerMessage>.makeStream()
        Task {
            for await d in deliveries { for m in AgentWire.messages(d) { cont.yield(m) } }
            cont.finish()
        }
        return (id, stream)
    }

    nonisolated func result(session: Int, _ r: Tollgate_V1_ApplyResult) async {
        if let report = AgentWire.report(r) { await result(session: session, report) }
    }
}
