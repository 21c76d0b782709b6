import TollgateModel

/// GatewayClass `spec` (standard channel v1.6.1). The CEL rule that `controllerName` is immutable
/// compares with the stored object and has no meaning for a manifest read on its own.
enum GatewayClassRules {
    static let controllerName = StringRule(minLength: 1, maxLength: 253, pattern: TextPattern(regex: GatewayAPIText.controllerNameRegex) { GatewayAPIText.isControllerName($0) })
    static let description = StringRule(maxLength: 64)

    static func check(_ spec: GatewayClass.Spec, into f: inout Findings) {
        let path = FieldPath("spec")
        f.string(spec.controllerName, controllerName, at: path.child("controllerName"))
        f.string(spec.description, description, at: path.child("description"))
        if let ref = spec.parametersRef {
            ReferenceRules.parameters(ref, at: path.child("parametersRef"), namespaced: true, into: &f)
        }
    }
}
