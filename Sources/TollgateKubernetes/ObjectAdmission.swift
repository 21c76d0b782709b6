import Foundation
import TollgateKube
import TollgateManifests
import TollgateModel

/// An API server object, decoded and admitted exactly as a manifest file is (`ManifestDecoder`,
/// `AdmissionStage`): the API server's own validation is not trusted to match ours, so an object
/// it accepted can still be refused here, with the field named, and then does not exist for the
/// graph.
enum ObjectAdmission {
    enum Outcome: Sendable {
        case admitted(AnyKubeObject)
        case refused([String])
    }

    static func admit(_ object: APIObject, kind: ObjectKind) -> Outcome {
        let label = "\(kind.rawValue) \(object.key) (resourceVersion \(object.resourceVersion ?? "?"))"
        let text = String(decoding: object.json, as: UTF8.self)
        let result = AdmissionStage.admit(ManifestDecoder().decode(text: text, file: label))
        if let first = result.objects.first, result.objects.count == 1, result.errors.isEmpty, first.object.key.kind == kind {
            return .admitted(first.object)
        }
        let errors = result.errors.map(\.description)
        return .refused(errors.isEmpty ? ["\(label): not a \(kind.rawValue) Tollgate can read"] : errors)
    }
}
