import Foundation

/// The instances running on this machine, in a state directory shared by
/// every vtap (default `VTAP_STATE_DIR`, else /run/vtap):
///
/// ```
/// <state>/registry.lock               held while the registry changes
/// <state>/instances/<id>.json         one entry per instance (see Instance)
/// <state>/instances/<id>.starting     an id held for a detached start
/// <state>/prometheus/targets.json     file_sd targets of the live instances
/// <state>/logs/<id>.log               output of detached instances
/// ```
///
/// Every change happens under the lock and ends by rewriting the targets
/// file, so concurrent starts never lose each other's entries. Readers need
/// no lock: every file is replaced whole (written beside, then renamed).
/// An entry whose process has ended (or whose pid now belongs to another
/// process) is dead; listing removes it.
public struct InstanceRegistry: Sendable {
    public let stateDirectory: String

    public init(stateDirectory: String = InstanceRegistry.defaultStateDirectory) {
        self.stateDirectory = stateDirectory
    }

    /// `VTAP_STATE_DIR`, or /run/vtap: the directory interface locks use too.
    public static var defaultStateDirectory: String {
        ProcessInfo.processInfo.environment["VTAP_STATE_DIR"] ?? "/run/vtap"
    }

    var instancesDirectory: String { stateDirectory + "/instances" }
    var lockFile: String { stateDirectory + "/registry.lock" }
    public var targetsFile: String { stateDirectory + "/prometheus/targets.json" }
    public var logsDirectory: String { stateDirectory + "/logs" }
    public func logFile(for id: String) -> String { "\(logsDirectory)/\(id).log" }

    func entryFile(_ id: String) -> String { "\(instancesDirectory)/\(id).json" }
    func reservationFile(_ id: String) -> String { "\(instancesDirectory)/\(id).starting" }

    // MARK: Reading

    /// The live instances in id order. Entries of ended processes are
    /// removed (and the targets file rewritten) on the way, when this
    /// process may write the state directory; otherwise (a user without
    /// privilege asking) they are only left out.
    public func instances() throws -> [Instance] { try listing().instances }

    /// The live instances, and the registry entries that are not vtap's
    /// JSON (a hand edit, a disk error): those are left in place and out
    /// of the instances, so a reader says so. Read in one pass.
    public func listing() throws -> (instances: [Instance], unreadable: [String]) {
        // Listing creates nothing: no state directory, no instance.
        guard FileManager.default.fileExists(atPath: stateDirectory) else { return ([], []) }
        try checkOwnership()
        guard mayWrite else {
            var state = RegistryState(registry: self, pruning: false)
            state.load()
            return (state.instances, state.unreadable)
        }
        return try changing { state in (state.instances, state.unreadable) }
    }

    /// The state directory decides which processes vtap signals: one that
    /// is a symbolic link, writable by anyone, or owned by a user other
    /// than this process's or root, is refused rather than trusted.
    func checkOwnership() throws {
        var status = stat()
        guard lstat(stateDirectory, &status) == 0 else { return }
        if status.st_mode & S_IFMT == S_IFLNK {
            throw ControllerError.io("refusing state directory \(stateDirectory): it is a symbolic link")
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw ControllerError.io("state directory \(stateDirectory) is not a directory")
        }
        // Root's directory is trusted by everyone (a user may list root's instances).
        if status.st_uid != geteuid(), status.st_uid != 0 {
            throw ControllerError.io(
                "refusing state directory \(stateDirectory): owned by uid \(status.st_uid), not by this user (uid \(geteuid()))"
            )
        }
        if status.st_mode & S_IWOTH != 0 {
            throw ControllerError.io(
                "refusing state directory \(stateDirectory): anyone may write it (mode \(String(status.st_mode & 0o7777, radix: 8)))"
            )
        }
    }

    /// Whether the state directory can be written, or created.
    private var mayWrite: Bool {
        if FileManager.default.fileExists(atPath: stateDirectory) { return access(stateDirectory, W_OK) == 0 }
        var parent = (stateDirectory as NSString).deletingLastPathComponent
        while !parent.isEmpty, parent != "/", !FileManager.default.fileExists(atPath: parent) {
            parent = (parent as NSString).deletingLastPathComponent
        }
        return access(parent.isEmpty ? "/" : parent, W_OK) == 0
    }

    /// The live instance with this id, read without the lock.
    public func instance(_ id: String) -> Instance? {
        guard let entry = Self.read(Instance.self, at: entryFile(id)), entry.process.isRunning else { return nil }
        return entry
    }

    // MARK: Changing

    /// Holds an id for an instance that `holder` is about to start detached:
    /// `id`, or the lowest free one. The child registers under it; then, or
    /// when `holder` ends, the hold is gone.
    public func reserve(_ id: String?, holder: ProcessIdentity = .current) throws -> String {
        if let id { try InstanceID.validate(id) }
        return try changing { state in
            let chosen = id ?? InstanceID.lowestFree(excluding: state.takenIDs)
            if let conflict = state.conflict(for: chosen, registering: holder) { throw conflict }
            try state.write(Reservation(id: chosen, pid: holder.pid, pidStartTicks: holder.startTicks))
            return chosen
        }
    }

    /// Drops a hold `holder` made, if it is still there.
    public func releaseReservation(_ id: String, holder: ProcessIdentity = .current) {
        _ = try? changing { state in
            if state.reservations[id]?.process == holder { state.removeReservation(id) }
        }
    }

    /// Throws if `id` is taken by another live instance or by a start that
    /// is not this process's own (its parent's hold is its own): for failing
    /// before attaching rather than after.
    public func checkAvailable(_ id: String, for process: ProcessIdentity = .current) throws {
        try InstanceID.validate(id)
        try changing { state in
            if let conflict = state.conflict(for: id, registering: process) { throw conflict }
        }
    }

    /// Records a started instance under `id` (or the lowest free id), built
    /// by `make` once the id is known, and rewrites the targets file.
    @discardableResult
    public func register(id: String?, _ make: (_ id: String) -> Instance) throws -> Instance {
        if let id { try InstanceID.validate(id) }
        return try changing { state in
            let chosen = id ?? InstanceID.lowestFree(excluding: state.takenIDs)
            let instance = make(chosen)
            if let conflict = state.conflict(for: chosen, registering: instance.process) { throw conflict }
            try state.write(instance)
            state.removeReservation(chosen)
            return instance
        }
    }

    /// Removes `instance`'s entry if it is still the one recorded (a newer
    /// instance may have taken the id after this one was pruned).
    public func unregister(_ instance: Instance) throws {
        try changing { state in
            if state.instances.first(where: { $0.id == instance.id })?.process == instance.process {
                state.removeInstance(instance.id)
            }
        }
    }

    /// Removes the entries of ended processes and rewrites the targets file.
    public func prune() throws {
        try changing { _ in }
    }

    /// Runs `body` under the lock on the pruned state, then writes the
    /// targets file if anything changed (or if it is missing).
    private func changing<T>(_ body: (inout RegistryState) throws -> T) throws -> T {
        try createDirectories()
        return try RegistryFiles.withLock(lockFile) {
            var state = RegistryState(registry: self)
            state.load()
            let result = try body(&state)
            if state.instancesChanged || !FileManager.default.fileExists(atPath: targetsFile) {
                try RegistryFiles.write(try PrometheusTargetGroup.file(for: state.instances), to: targetsFile)
            }
            return result
        }
    }

    private func createDirectories() throws {
        try checkOwnership()
        for directory in [instancesDirectory, stateDirectory + "/prometheus", logsDirectory] {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw ControllerError.io("cannot create \(directory): \((error as NSError).localizedDescription)")
            }
        }
    }

    static func read<T: Decodable>(_ type: T.Type, at path: String) -> T? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }
}

/// The registry's files as read under the lock, with dead entries pruned.
private struct RegistryState {
    let registry: InstanceRegistry
    var instances: [Instance] = []
    /// Entries that are not vtap's JSON, in name order.
    var unreadable: [String] = []
    var reservations: [String: Reservation] = [:]
    var instancesChanged = false
    /// Whether entries of ended processes are deleted, or only left out.
    let pruning: Bool

    init(registry: InstanceRegistry, pruning: Bool = true) {
        self.registry = registry
        self.pruning = pruning
    }

    /// Ids of live instances and of live holds.
    var takenIDs: Set<String> { Set(instances.map(\.id)).union(reservations.keys) }

    mutating func load() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: registry.instancesDirectory)) ?? []
        for name in names where !name.hasPrefix(".") {
            let path = "\(registry.instancesDirectory)/\(name)"
            if name.hasSuffix(".json") {
                // An entry that cannot be decoded names no process: left in place (a listing
                // reports it) and replaced if its id is reused.
                guard let entry = InstanceRegistry.read(Instance.self, at: path) else {
                    unreadable.append(path)
                    continue
                }
                if entry.process.isRunning {
                    instances.append(entry)
                } else if pruning {
                    unlink(path)
                    instancesChanged = true
                }
            } else if name.hasSuffix(".starting") {
                guard let hold = InstanceRegistry.read(Reservation.self, at: path) else { continue }
                if hold.process.isRunning { reservations[hold.id] = hold } else if pruning { unlink(path) }
            }
        }
        instances.sort { InstanceID.precedes($0.id, $1.id) }
        unreadable.sort()
    }

    /// Why `process` may not register as `id`, if it may not. A hold by the
    /// process itself or by its parent (the detached start that spawned it)
    /// is its own.
    func conflict(for id: String, registering process: ProcessIdentity) -> ControllerError? {
        if let live = instances.first(where: { $0.id == id }), live.process != process {
            return .instanceIDInUse(id, pid: live.pid, starting: false)
        }
        if let hold = reservations[id], hold.pid != process.pid, hold.pid != getppid() {
            return .instanceIDInUse(id, pid: hold.pid, starting: true)
        }
        return nil
    }

    mutating func write(_ instance: Instance) throws {
        try RegistryFiles.write(try Instance.encoder().encode(instance), to: registry.entryFile(instance.id))
        instances.removeAll { $0.id == instance.id }
        instances.append(instance)
        instances.sort { InstanceID.precedes($0.id, $1.id) }
        instancesChanged = true
    }

    mutating func write(_ hold: Reservation) throws {
        try RegistryFiles.write(try JSONEncoder().encode(hold), to: registry.reservationFile(hold.id))
        reservations[hold.id] = hold
    }

    mutating func removeInstance(_ id: String) {
        unlink(registry.entryFile(id))
        instances.removeAll { $0.id == id }
        instancesChanged = true
    }

    mutating func removeReservation(_ id: String) {
        unlink(registry.reservationFile(id))
        reservations[id] = nil
    }
}
