import CLibbpf

#if canImport(Glibc)
    import Glibc
#endif

/// libbpf's own printouts, captured instead of going to stderr.
///
/// libbpf has one process-wide print callback. VtapBPF installs it the first
/// time any of its functions touches libbpf; from then on libbpf never writes
/// to the terminal. Each message goes to the operation running on the same
/// thread (so errors carry the lines that explain them) and into a small
/// process-wide ring of recent messages, readable with ``recentMessages(through:)``.
///
/// Thread-safe: the ring is locked and per-operation capture is thread-local.
public enum LibbpfLog {
    /// libbpf's print levels, most severe first.
    public enum Level: Int, Sendable, Comparable {
        case warning = 0
        case info = 1
        case debug = 2

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    /// One printout, without its trailing newline.
    public struct Message: Sendable, Equatable, CustomStringConvertible {
        public var level: Level
        public var text: String
        public var description: String { text }
    }

    /// How many recent messages the ring keeps.
    public static let ringCapacity = 1000

    /// The most recent messages (up to ``ringCapacity``), oldest first,
    /// from warnings through `level` (`.debug` for everything).
    public static func recentMessages(through level: Level = .info) -> [Message] {
        ensureInstalled()
        return ring.withLock { $0.filter { $0.level <= level } }
    }

    /// Empties the ring of recent messages.
    public static func clearRecentMessages() {
        ring.withLock { $0.removeAll() }
    }

    /// Installs the print callback; idempotent, cheap after the first call.
    public static func ensureInstalled() { _ = installation }

    // MARK: - Internals

    private static let installation: Void = {
        _ = libbpf_set_print(printCallback)
    }()

    private static let ring = Locked<[Message]>([])

    /// Collects the messages printed on this thread while `body` runs.
    static func capturing<R>(_ body: (MessageCollector) throws -> R) rethrows -> R {
        ensureInstalled()
        let collector = MessageCollector()
        let previous = pthread_getspecific(collectorKey)
        pthread_setspecific(collectorKey, Unmanaged.passUnretained(collector).toOpaque())
        defer { pthread_setspecific(collectorKey, previous) }
        return try withExtendedLifetime(collector) { try body(collector) }
    }

    fileprivate static func record(_ message: Message) {
        if let raw = pthread_getspecific(collectorKey) {
            Unmanaged<MessageCollector>.fromOpaque(raw).takeUnretainedValue().messages.append(message)
        }
        ring.withLock { messages in
            if messages.count >= ringCapacity { messages.removeFirst(messages.count - ringCapacity + 1) }
            messages.append(message)
        }
    }
}

/// The messages libbpf printed during one operation on one thread.
final class MessageCollector {
    var messages: [LibbpfLog.Message] = []

    /// Warnings (and info) as one-line strings, for attaching to errors. A
    /// verifier log libbpf printed itself is left out (errors carry it as a
    /// ``VerifierLog``), keeping only its first line.
    var warnings: [String] {
        messages.filter { $0.level <= .info }.flatMap { message -> [String] in
            let lines = message.text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            if let first = lines.first, first.contains("-- BEGIN PROG LOAD LOG --") {
                return [first.replacing("-- BEGIN PROG LOAD LOG --", with: "(verifier log omitted)")]
            }
            return lines
        }
    }
}

private let collectorKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key, nil)
    precondition(status == 0, "pthread_key_create failed: \(status)")
    return key
}()

private let printCallback: libbpf_print_fn_t = { level, format, arguments in
    guard let format, let arguments, let formatted = vtap_format_message(format, arguments) else { return 0 }
    defer { free(formatted) }
    var text = String(cString: formatted)
    while text.last == "\n" { text.removeLast() }
    let mapped: LibbpfLog.Level
    switch level {
    case LIBBPF_WARN: mapped = .warning
    case LIBBPF_INFO: mapped = .info
    default: mapped = .debug
    }
    LibbpfLog.record(LibbpfLog.Message(level: mapped, text: text))
    return 0
}

/// A value behind a pthread mutex.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
