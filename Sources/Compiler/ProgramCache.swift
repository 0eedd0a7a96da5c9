import Foundation
import VtapCodegen
import VtapRuleModel
import VtapSystem

/// Compiled packet programs (vtap_filter.bpf.c with one ruleset's settings),
/// kept on disk by the SHA-256 of everything clang is given for them: clang's
/// version, its arguments, and the unit's full text. The text holds the
/// templates and the settings, so a new vtap or other settings is a new key,
/// and a hit is exactly the object clang would write. Measured on the seed:
/// the packet program is ~150 of clang's ~170 ms; the decision code of the
/// seed's two rules compiles in ~15 ms.
///
/// Each entry starts with its object's SHA-256, checked on every read: the
/// linker of Debian's libbpf 1.1 crashes on a damaged ELF file (found by
/// `LinkedObjectTests`), so bytes that are not exactly what clang wrote
/// never reach it. An entry that fails the check is compiled again and
/// replaced. Only an optimisation: a directory that cannot be made or
/// written, or that others could write (`isPrivate`), is skipped without a
/// word.
public struct ProgramCache: Sendable {
    public var directory: String
    /// Entries kept; the least recently written beyond it are removed.
    public var capacity: Int
    /// False for a cache only read: `vtapc check` writes nothing, this
    /// directory included, but a compile's entries still speed it up.
    public var isWritable: Bool

    public init(directory: String, capacity: Int = 64, isWritable: Bool = true) {
        self.directory = directory
        self.capacity = capacity
        self.isWritable = isWritable
    }

    /// The same cache, read and never written.
    public var readOnly: ProgramCache {
        var cache = self
        cache.isWritable = false
        return cache
    }

    /// `VTAP_CACHE_DIR`, else `$XDG_CACHE_HOME/vtap`, else `~/.cache/vtap`;
    /// nil when `VTAP_CACHE_DIR` is set empty (no cache) or no home is known.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> ProgramCache?
    {
        if let explicit = environment["VTAP_CACHE_DIR"] {
            return explicit.isEmpty ? nil : ProgramCache(directory: explicit)
        }
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            return ProgramCache(directory: xdg + "/vtap")
        }
        guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
        return ProgramCache(directory: home + "/.cache/vtap")
    }

    /// The entry's name for `unit` compiled with `arguments`.
    public static func key(for unit: CompileUnit, arguments: [String], clang: String = Clang.version) -> String {
        var text = "vtap program cache 1\0\(clang)\0\(arguments.joined(separator: "\0"))\0\(unit.name)\0\(unit.main)"
        for header in unit.headers { text += "\0\(header.name)\0\(header.text)" }
        return ObjectDigest.sha256Hex(Array(text.utf8))
    }

    func path(of key: String) -> String { "\(directory)/program-\(key).o" }

    /// An entry: the object's SHA-256 in hex, a newline, the object.
    static let digestLength = 64

    /// The cache's objects go into every object vtapc writes, so it is
    /// trusted like vtapc itself: only a directory this user owns that no
    /// one else may write is used (the one vtapc makes is 0700).
    var isPrivate: Bool {
        var status = stat()
        guard lstat(directory, &status) == 0 else { return true }  // made 0700 on the first store
        return (status.st_mode & S_IFMT) == S_IFDIR && status.st_uid == geteuid() && status.st_mode & 0o022 == 0
    }

    /// The stored object, if there is one whose digest holds.
    func object(for key: String) -> [UInt8]? {
        guard isPrivate, let entry = try? InputFile.read(path(of: key), limit: Limits.maxInputFileBytes),
            entry.count > Self.digestLength, entry[Self.digestLength] == UInt8(ascii: "\n")
        else { return nil }
        let object = Array(entry[(Self.digestLength + 1)...])
        guard ObjectDigest.sha256Hex(object).utf8.elementsEqual(entry[..<Self.digestLength]) else { return nil }
        return object
    }

    /// Stores atomically (readers see a whole entry or none), then trims.
    func store(_ object: [UInt8], for key: String) {
        guard isWritable, isPrivate else { return }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let entry = Data((ObjectDigest.sha256Hex(object) + "\n").utf8) + Data(object)
            try AtomicFile.write(entry, to: path(of: key), mode: 0o600)
        } catch {
            return
        }
        trim()
    }

    private func trim() {
        let fileManager = FileManager.default
        guard let names = try? fileManager.contentsOfDirectory(atPath: directory) else { return }
        let entries = names.filter { $0.hasPrefix("program-") && $0.hasSuffix(".o") }.compactMap {
            name -> (path: String, written: Date)? in
            let path = "\(directory)/\(name)"
            guard let written = (try? fileManager.attributesOfItem(atPath: path))?[.modificationDate] as? Date else {
                return nil
            }
            return (path, written)
        }
        guard entries.count > capacity else { return }
        for entry in entries.sorted(by: { $0.written < $1.written }).prefix(entries.count - capacity) {
            try? fileManager.removeItem(atPath: entry.path)
        }
    }
}
