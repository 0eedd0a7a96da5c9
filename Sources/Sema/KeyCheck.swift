import VtapDiagnostics
import VtapFrontend

/// Checks the keys of an object against the keys it may have: a repeated
/// key is an error, an unknown key a warning (with a suggestion when one
/// is close). Returns the indices of the first occurrence of every known
/// key, in source order.
func checkKeys(
    _ keys: [JSONString], known: [String], in place: @autoclosure () -> String, diagnostics: inout DiagnosticBag
) -> [Int] {
    // Rule objects have a handful of keys: scanning them beats hashing.
    let hashes = keys.count > 8
    var firstIndex: [String: Int] = [:]
    func earlier(_ key: String, before index: Int) -> Int? {
        hashes ? firstIndex[key] : keys[..<index].firstIndex { $0.value == key }
    }
    var knownIndices: [Int] = []
    for (index, key) in keys.enumerated() {
        let name = key.value
        if let earlier = earlier(name, before: index) {
            diagnostics.error(
                .keyDuplicate, "duplicate key '\(name)' in \(place()); each key may appear once",
                at: key.range, notes: [.init("'\(name)' is first given here", at: keys[earlier].range)])
            continue
        }
        if hashes { firstIndex[name] = index }
        if known.contains(name) {
            knownIndices.append(index)
        } else {
            let notes: [Diagnostic.Note] =
                NameSuggestion.closest(to: name, among: known).map { [.init("did you mean '\($0)'?")] } ?? []
            diagnostics.warning(
                .unknownKey, "unknown key '\(name)' in \(place()) is ignored", at: key.range, notes: notes)
        }
    }
    return knownIndices
}

/// The first occurrence of each known key of an object, by name.
func checkedKeys(
    _ members: [JSONMember], known: [String], in place: String, diagnostics: inout DiagnosticBag
) -> [String: JSONMember] {
    let indices = checkKeys(members.map(\.key), known: known, in: place, diagnostics: &diagnostics)
    return Dictionary(uniqueKeysWithValues: indices.map { (members[$0].name, members[$0]) })
}
