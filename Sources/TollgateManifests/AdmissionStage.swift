import TollgateAdmission
import TollgateModel

/// Runs admission over decoded manifests, the step between decoding and the store. An object that
/// fails is refused like `kubectl apply` refuses it: one error per violated field, naming file,
/// document and field, and the object does not exist for the graph.
public enum AdmissionStage {
    /// `result` with every refused object moved from `objects` to `errors`.
    public static func admit(_ result: ManifestDecoder.Result) -> ManifestDecoder.Result {
        var out = result
        out.objects = []
        out.objects.reserveCapacity(result.objects.count)
        for (object, location) in result.objects {
            let violations = Admission.review(object)
            if violations.isEmpty {
                out.objects.append((object, location))
                continue
            }
            for v in violations {
                out.errors.append(ManifestError(location, field: v.field, "\(object.key.kind.rawValue) \(EchoedText.quoted(object.key.namespacedName)) is invalid: \(v.message)"))
            }
        }
        return out
    }
}
