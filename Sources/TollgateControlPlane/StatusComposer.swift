import TollgateGraph
import TollgateModel

/// Every object's status: the graph's conditions with `Programmed` decided by the agents.
/// Gateway and listeners are Programmed=True only once an agent of the Gateway applied and
/// probed a version built from the current generation; while an agent reports NGINX not serving
/// they are Programmed=False/Pending with its reason; after a rejection Programmed=False/Invalid
/// with the agent's message (NGINX's line, or why staging failed); before that Pending. Routes are never flipped by data-plane failures;
/// dry-run agents never make anything Programmed. Pure: a function of its inputs.
enum StatusComposer {
    static func documents(graph: Graph, store: Store, agents: [GatewayRef: GatewayAgentState]) -> [StatusDocument] {
        var docs = graph.statusDocuments(store: store)
        for i in docs.indices {
            guard case .gateway(var st) = docs[i].status else { continue }
            let ref = GatewayRef(namespace: docs[i].metadata.namespace ?? "", name: docs[i].metadata.name)
            guard let model = graph.gateways[ref.key], model.accepted else { continue }
            let g = model.generation
            let agent = agents[ref]
            let programmed: Condition
            if let down = agent?.notServing {
                programmed = Condition(ConditionType.programmed, false, Reason.pending, "NGINX is not serving: \(down)", generation: g)
            } else if let rv = agent?.rejectedVersion, rv > (agent?.appliedVersion ?? 0), agent?.rejectedGeneration == g {
                programmed = Condition(ConditionType.programmed, false, Reason.invalid, "Version \(rv) was not applied: \(agent?.rejection ?? "")", generation: g)
            } else if let agent, agent.appliedGeneration == g, let version = agent.appliedVersion {
                programmed = Condition(ConditionType.programmed, true, Reason.programmed, "Version \(version) is applied and served", generation: g)
            } else {
                continue   // the graph's Pending stands
            }
            st.conditions.set(programmed)
            let served = Set(model.listeners.map(\.name))
            for li in st.listeners.indices where served.contains(st.listeners[li].name) {
                var c = programmed
                if c.isTrue { c.message = "The listener is programmed" }
                st.listeners[li].conditions.set(c)
            }
            docs[i].status = .gateway(st)
        }
        return docs
    }
}

extension ControllerCore {
    /// Every object's status, as `StatusComposer` composes it from the graph and the agents.
    public func statusDocuments() -> [StatusDocument] {
        StatusComposer.documents(graph: reconciler.graph, store: reconciler.store, agents: agentStates)
    }
}
