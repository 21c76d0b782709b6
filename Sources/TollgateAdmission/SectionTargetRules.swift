/// A reference to a parent or target and its `sectionName`, for the CEL rules shared by
/// HTTPRoute `parentRefs` and BackendTLSPolicy `targetRefs`: references to one object either all
/// name a section or none does, and no section is named twice.
struct SectionTarget {
    var parent: [String]
    var section: String

    static func check(_ targets: [SectionTarget], at path: FieldPath, noun: String, target: String, into f: inout Findings) {
        var sections: [[String]: Set<String>] = [:]
        var reportedMixed: Set<[String]> = []
        for (i, t) in targets.enumerated() {
            if let existing = sections[t.parent] {
                if existing.contains("") != t.section.isEmpty, reportedMixed.insert(t.parent).inserted {
                    f.append(.required(path.index(i).child("sectionName"), "sectionName must be specified when \(noun) includes 2 or more references to the same \(target)"))
                }
                if existing.contains(t.section) {
                    f.append(.duplicate(path.index(i).child("sectionName"), t.section, "sectionName must be unique when \(noun) includes 2 or more references to the same \(target)"))
                }
            }
            sections[t.parent, default: []].insert(t.section)
        }
    }
}
