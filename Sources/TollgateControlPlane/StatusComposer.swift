import TollgateGraph
import TollgateModel

extension ControllerCore {
    /// Every object's status: the graph's conditions with `Programmed` decided by the agents.
    /// Gateway and listeners are Programmed=True only once an agent of the Gateway applied and
    /// probed a version built from the current generation; after a rejection they are
    /// Programmed=False/Invalid with NGINX's message; before that Pending. Routes are never
    /// flipped by data-plane failures; dry-run agents never make anything Programmed.
    public func statusDocuments() -> [StatusDocument] {
        var docs = graph.statusDocuments(store: store)
        for i in docs.indices {
            guard case .gateway(var st) = docs[i].status else { continue }
            let key = ObjectKey(kind: .gateway, namespace: docs[i].metadata.namespace ?? "", name: docs[i].metadata.name)
            guard let model = graph.gateways[key], model.accepted else { continue }
            let g = model.generation
            let agent = agentStates[key.namespacedName]
            let programmed: Condition
            if let down = agent?.notServing {
                programmed = Condition(ConditionType.programmed, false, Reason.pending, "NGINX is not serving: \(down)", generation: g)
            } else if let rv = agent?.rejectedVersion, rv > (agent?.appliedVersion ?? 0), agent?.rejectedGeneration == g {
                programmed = Condition(ConditionType.programmed, false, Reason.invalid, "NGINX rejected version \(rv): \(agent?.rejection ?? "")", generation: g)
            } else if agent?.appliedGeneration == g {
                programmed = Condition(ConditionType.programmed, true, Reason.programmed, "Version \(agent!.appliedVersion!) is applied and served", generation: g)
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
