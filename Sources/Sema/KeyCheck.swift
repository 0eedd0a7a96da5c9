import VtapDiagnostics
import VtapFrontend

/// Checks the keys of an object against the keys it may have: a repeated
/// key is an error, an unknown key a warning (with a suggestion when one
/// is close). Returns the indices of the first occurrence of every known
/// key, in source order.
func checkKeys<Members: RandomAccessCollection>(
    _ members: Members, known: [String], in place: @autoclosure () -> String, diagnostics: inout DiagnosticBag
) -> [Members.Index] where Members.Element == JSONMember {
    // Rule objects have a handful of keys: scanning them beats hashing.
    let hashes = members.count > 8
    var firstIndex: [String: Members.Index] = [:]
    func earlier(_ key: String, before index: Members.Index) -> Members.Index? {
        hashes ? firstIndex[key] : members[..<index].firstIndex { $0.name == key }
    }
    var knownIndices: [Members.Index] = []
    for index in members.indices {
        let member = members[index]
        let key = member.name
        if let earlier = earlier(key, before: index) {
            diagnostics.error(
                .keyDuplicate, "duplicate key '\(key)' in \(place()); each key may appear once",
                at: member.keyRange, notes: [.init("'\(key)' is first given here", at: members[earlier].keyRange)])
            continue
        }
        if hashes { firstIndex[key] = index }
        if known.contains(key) {
            knownIndices.append(index)
        } else {
            let notes: [Diagnostic.Note] =
                NameSuggestion.closest(to: key, among: known).map {
                    [.init("did you mean '\($0)'?")]
                } ?? []
            diagnostics.warning(
                .unknownKey, "unknown key '\(key)' in \(place()) is ignored", at: member.keyRange, notes: notes)
        }
    }
    return knownIndices
}

/// The first occurrence of each known key of an object, by name.
func checkedKeys(
    _ members: [JSONMember], known: [String], in place: String, diagnostics: inout DiagnosticBag
) -> [String: JSONMember] {
    let indices = checkKeys(members, known: known, in: place, diagnostics: &diagnostics)
    return Dictionary(uniqueKeysWithValues: indices.map { (members[$0].name, members[$0]) })
}
