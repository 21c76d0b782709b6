import TollgateModel

/// Tollgate's `NginxProxy` (`gateway.tollgate.dev/v1alpha1`): `workerProcesses` is 1–1024 or `auto`.
enum NginxProxyRules {
    static let workerProcesses: ClosedRange<Int> = 1...1024

    static func check(_ proxy: NginxProxy, into f: inout Findings) {
        let p = FieldPath("spec").child("workerProcesses")
        switch proxy.spec?.workerProcesses {
        case .int(let n)?:
            if !workerProcesses.contains(n) {
                f.append(.invalid(p, integer: n, "must be between 1 and 1024, inclusive, or \"auto\""))
            }
        case .string(let s)?:
            if s != "auto" { f.append(.invalid(p, s, "must be an integer between 1 and 1024 or \"auto\"")) }
        case nil:
            break
        }
    }
}
