import Foundation
import TollgateKube
import TollgateModel

/// Puts Tollgate's computed status into an object's current status without taking what is not
/// Tollgate's: route `status.parents` and policy `status.ancestors` entries of other controllers
/// stay as they are, conditions of types Tollgate does not set stay, and a condition whose
/// status did not change keeps its `lastTransitionTime`. Pure.
enum StatusMerge {
    /// The merged `status`, given the object's current `status` (nil when it has none).
    ///
    /// `keepServedProgrammed`: while a restarted controller waits for its agents to reconnect, a
    /// Gateway it has no agent report for yet is Pending in its own eyes; the status on the
    /// server says Programmed=True for this same generation, and the agents keep serving it. Then
    /// the server's Programmed conditions (Gateway and listeners) are kept, so a restart does not
    /// flap status.
    static func merge(current: JSONValue?, ours document: StatusDocument, controllerName: String,
                      supportedFeatures: [String], now: String, keepServedProgrammed: Bool = false) throws -> JSONValue {
        var oursJSON = try JSONValue.parse(JSONEncoder().encode(document.status))
        if keepServedProgrammed, case .gateway = document.status {
            oursJSON = keepingProgrammed(ours: oursJSON, current: current)
        }
        var out = current ?? .object([:])
        if case .object = out {} else { out = .object([:]) }
        switch document.status {
        case .gatewayClass:
            out["conditions"] = conditions(current: out["conditions"], ours: oursJSON["conditions"], now: now)
            out["supportedFeatures"] = .array(supportedFeatures.sorted().map { .object(["name": .string($0)]) })
        case .gateway:
            out["conditions"] = conditions(current: out["conditions"], ours: oursJSON["conditions"], now: now)
            let existing = Dictionary(elements(out["listeners"]).compactMap { l in l["name"]?.stringValue.map { ($0, l) } }) { a, _ in a }
            out["listeners"] = .array(elements(oursJSON["listeners"]).map { l in
                var l = l
                let old = l["name"]?.stringValue.flatMap { existing[$0] }
                l["conditions"] = conditions(current: old?["conditions"], ours: l["conditions"], now: now)
                return l
            })
            if let addresses = oursJSON["addresses"] { out["addresses"] = addresses }
        case .httpRoute:
            out["parents"] = entries(current: out["parents"], ours: oursJSON["parents"], refKey: "parentRef",
                                     controllerName: controllerName, now: now)
        case .backendTLSPolicy:
            out["ancestors"] = entries(current: out["ancestors"], ours: oursJSON["ancestors"], refKey: "ancestorRef",
                                       controllerName: controllerName, now: now)
        }
        return out
    }

    /// `ours` with the current Programmed conditions where ours is only Pending (no agent report
    /// yet) and the current one is True for the same generation.
    static func keepingProgrammed(ours: JSONValue, current: JSONValue?) -> JSONValue {
        func programmed(_ conditions: JSONValue?) -> (index: Int, value: JSONValue)? {
            for (i, c) in elements(conditions).enumerated() where c["type"]?.stringValue == ConditionType.programmed { return (i, c) }
            return nil
        }
        func replace(_ oursConditions: JSONValue?, with currentConditions: JSONValue?) -> JSONValue? {
            guard let mine = programmed(oursConditions), let theirs = programmed(currentConditions),
                  mine.value["status"]?.stringValue == "False", mine.value["reason"]?.stringValue == Reason.pending,
                  mine.value["message"]?.stringValue?.hasPrefix("Waiting for an agent") == true,
                  theirs.value["status"]?.stringValue == "True", theirs.value["observedGeneration"] == mine.value["observedGeneration"]
            else { return nil }
            var list = elements(oursConditions)
            list[mine.index] = theirs.value
            return .array(list)
        }
        guard let gatewayConditions = replace(ours["conditions"], with: current?["conditions"]) else { return ours }
        var out = ours
        out["conditions"] = gatewayConditions
        let currentListeners = Dictionary(elements(current?["listeners"]).compactMap { l in l["name"]?.stringValue.map { ($0, l) } }) { a, _ in a }
        out["listeners"] = .array(elements(ours["listeners"]).map { l in
            guard let name = l["name"]?.stringValue, let kept = replace(l["conditions"], with: currentListeners[name]?["conditions"]) else { return l }
            var l = l
            l["conditions"] = kept
            return l
        })
        return out
    }

    /// The current status with every entry of `controllerName` removed (a route or policy that no
    /// longer concerns Tollgate), or nil when there is none.
    static func withoutOurEntries(current: JSONValue?, listKey: String, controllerName: String) -> JSONValue? {
        guard var status = current else { return nil }
        let list = elements(status[listKey])
        let kept = list.filter { $0["controllerName"]?.stringValue != controllerName }
        guard kept.count != list.count else { return nil }
        status[listKey] = .array(kept)
        return status
    }

    /// Entries of other controllers as they were (in their order), then Tollgate's, each with its
    /// conditions merged against the entry it replaces (same reference).
    static func entries(current: JSONValue?, ours: JSONValue?, refKey: String, controllerName: String, now: String) -> JSONValue {
        let old = elements(current)
        let others = old.filter { $0["controllerName"]?.stringValue != controllerName }
        let mine = old.filter { $0["controllerName"]?.stringValue == controllerName }
        let merged = elements(ours).map { entry in
            var entry = entry
            let previous = mine.first { sameReference($0[refKey], entry[refKey]) }
            entry["conditions"] = conditions(current: previous?["conditions"], ours: entry["conditions"], now: now)
            return entry
        }
        return .array(others + merged)
    }

    /// References are equal when every field either side sets is equal (defaults omitted).
    static func sameReference(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        func fields(_ v: JSONValue?) -> [String: JSONValue] {
            guard case .object(let m)? = v else { return [:] }
            return m.filter { $0.value != .null }
        }
        var x = fields(a), y = fields(b)
        for defaults in [("group", JSONValue.string(GatewayAPI.group)), ("kind", .string("Gateway"))] {
            if x[defaults.0] == nil { x[defaults.0] = defaults.1 }
            if y[defaults.0] == nil { y[defaults.0] = defaults.1 }
        }
        return x == y
    }

    /// Tollgate's conditions with `lastTransitionTime` kept where the status did not change (now
    /// otherwise), followed by current conditions of types Tollgate does not set.
    static func conditions(current: JSONValue?, ours: JSONValue?, now: String) -> JSONValue {
        let old = elements(current)
        var types = Set<String>()
        var out: [JSONValue] = elements(ours).map { c in
            var c = c
            let type = c["type"]?.stringValue ?? ""
            types.insert(type)
            let previous = old.first { $0["type"]?.stringValue == type }
            if let previous, previous["status"] == c["status"], let t = previous["lastTransitionTime"], t != .null {
                c["lastTransitionTime"] = t
            } else {
                c["lastTransitionTime"] = .string(now)
            }
            return c
        }
        out += old.filter { !types.contains($0["type"]?.stringValue ?? "") }
        return .array(out)
    }

    static func elements(_ v: JSONValue?) -> [JSONValue] {
        if case .array(let a)? = v { return a }
        return []
    }

    /// RFC 3339 in UTC, seconds precision, as metav1.Time serialises.
    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}
