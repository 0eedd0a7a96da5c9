import Foundation
import VtapBPF
import VtapCodegen
import VtapRuleModel
import VtapSystem

/// What vtapc keeps on disk between runs, each entry named by the SHA-256
/// of everything that made it, so a hit is exactly what the work would
/// give again:
/// - `program`: the packet program (vtap_filter.bpf.c with one ruleset's
///   settings), by clang's version, its arguments and the unit's full text.
///   The text holds the templates and the settings, so a new vtap or other
///   settings is a new key. Measured on the seed: the packet program is
///   ~150 of clang's ~170 ms.
/// - `object`: a whole linked object, by both units (program and decision
///   code) the same way: the same rules file again skips clang (11 ms on
///   the seed) and the linker.
/// - `verdict`: the verifier's acceptance of an object, by the object's
///   bytes and the `KernelIdentity` (kernel build, JIT settings, the
///   caller's capabilities): the same bytes on the same kernel are
///   accepted again, so the dry-run (26 ms on the seed) is not repeated.
///   Only acceptances are kept; a rejection is verified again every time.
///
/// Each entry starts with its content's SHA-256, checked on every read:
/// the linker of Debian's libbpf 1.1 crashes on a damaged ELF file (found
/// by `LinkedObjectTests`), so bytes that are not exactly what was written
/// never reach it. An entry that fails the check is made again and
/// replaced. Only an optimisation: a directory that cannot be made or
/// written, or that others could write (`isPrivate`), is skipped without a
/// word.
public struct ProgramCache: Sendable {
    public var directory: String
    /// Entries kept of each kind; the least recently written beyond it are
    /// removed.
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

    /// The kinds of entry, each its own files (`KIND-KEY.EXT`) and capacity.
    public enum Entry: String, Sendable, CaseIterable {
        case program, object, verdict

        var fileExtension: String { self == .verdict ? "json" : "o" }
    }

    /// The entry's name for `unit` compiled with `arguments`.
    public static func key(for unit: CompileUnit, arguments: [String], clang: String = Clang.version) -> String {
        key(for: [unit], tag: "vtap program cache 1", arguments: arguments, clang: clang)
    }

    /// The entry's name for the object linked from `units`, each compiled
    /// with `arguments`.
    public static func key(forLinked units: [CompileUnit], arguments: [String], clang: String = Clang.version) -> String
    {
        key(for: units, tag: "vtap object cache 1", arguments: arguments, clang: clang)
    }

    /// The entry's name for the verdict on the object whose SHA-256 (hex,
    /// as its manifest records it) is `objectDigest`, dry-run the way
    /// `dryRun` describes, on the kernel `kernel` identifies.
    public static func verdictKey(objectDigest: String, dryRun: String, kernel: String = KernelIdentity.current)
        -> String
    {
        let text = "vtap verdict cache 1\0\(objectDigest)\0\(dryRun)\0\(kernel)"
        return ObjectDigest.sha256Hex(Array(text.utf8))
    }

    private static func key(for units: [CompileUnit], tag: String, arguments: [String], clang: String) -> String {
        var text = "\(tag)\0\(clang)\0\(arguments.joined(separator: "\0"))"
        for unit in units {
            text += "\0unit\0\(unit.name)\0\(unit.main)"
            for header in unit.headers { text += "\0\(header.name)\0\(header.text)" }
        }
        return ObjectDigest.sha256Hex(Array(text.utf8))
    }

    func path(of key: String, _ entry: Entry) -> String {
        "\(directory)/\(entry.rawValue)-\(key).\(entry.fileExtension)"
    }

    /// An entry: its content's SHA-256 in hex, a newline, the content.
    static let digestLength = 64

    /// The cache's objects go into every object vtapc writes, so it is
    /// trusted like vtapc itself: only a directory this user owns that no
    /// one else may write is used (the one vtapc makes is 0700).
    var isPrivate: Bool {
        var status = stat()
        guard lstat(directory, &status) == 0 else { return true }  // made 0700 on the first store
        return (status.st_mode & S_IFMT) == S_IFDIR && status.st_uid == geteuid() && status.st_mode & 0o022 == 0
    }

    /// The stored bytes, if there is an entry whose digest holds.
    func read(_ entry: Entry, key: String) -> [UInt8]? {
        guard isPrivate, let stored = try? InputFile.read(path(of: key, entry), limit: Limits.maxInputFileBytes),
            stored.count > Self.digestLength, stored[Self.digestLength] == UInt8(ascii: "\n")
        else { return nil }
        let content = Array(stored[(Self.digestLength + 1)...])
        guard ObjectDigest.sha256Hex(content).utf8.elementsEqual(stored[..<Self.digestLength]) else { return nil }
        return content
    }

    /// Stores atomically (readers see a whole entry or none), then trims.
    func store(_ object: [UInt8], _ entry: Entry, key: String) {
        guard isWritable, isPrivate else { return }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let data = Data((ObjectDigest.sha256Hex(object) + "\n").utf8) + Data(object)
            try AtomicFile.write(data, to: path(of: key, entry), mode: 0o600)
        } catch {
            return
        }
        trim(entry)
    }

    private func trim(_ entry: Entry) {
        let fileManager = FileManager.default
        guard let names = try? fileManager.contentsOfDirectory(atPath: directory) else { return }
        let entries = names.filter { $0.hasPrefix(entry.rawValue + "-") && $0.hasSuffix("." + entry.fileExtension) }
            .compactMap {
                name -> (path: String, written: Date)? in
                let path = "\(directory)/\(name)"
                guard let written = (try? fileManager.attributesOfItem(atPath: path))?[.modificationDate] as? Date
                else {
                    return nil
                }
                return (path, written)
            }
        guard entries.count > capacity else { return }
        for old in entries.sorted(by: { $0.written < $1.written }).prefix(entries.count - capacity) {
            try? fileManager.removeItem(atPath: old.path)
        }
    }
}
