import Synchronization

/// One read of the maps and the responses made from it, shared by the
/// scrapes that waited for that read: each format is rendered once, by the
/// first scrape that wants it, however many scrapes came together.
final class SharedScrape: Sendable {
    /// Nil when the read failed.
    let snapshot: ExportSnapshot?
    private let bodies = Mutex<[ExpositionFormat: [UInt8]]>([:])

    init(snapshot: ExportSnapshot?) {
        self.snapshot = snapshot
    }

    /// The body in `format`, from `render` the first time.
    func body(_ format: ExpositionFormat, render: (ExportSnapshot?, ExpositionFormat) -> [UInt8]) -> [UInt8] {
        // Rendering under the lock is the point: the others wait for it
        // instead of rendering the same bytes again.
        bodies.withLock { bodies in
            if let body = bodies[format] { return body }
            let body = render(snapshot, format)
            bodies[format] = body
            return body
        }
    }
}
