import Hummingbird

/// Answers the exporter's few paths: /metrics, a page at / that links to
/// it, 404 for anything else, 405 for a method /metrics does not take.
struct MetricsResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let exposition: MetricsExposition
    let selfMetrics: ExporterSelfMetrics
    let coalescer: ScrapeCoalescer<SharedScrape>

    func respond(to request: Request, context: Context) async throws -> Response {
        let readOnly = request.method == .get || request.method == .head
        let response: Response
        switch request.uri.path {
        case "/metrics":
            response = readOnly ? await metrics(accept: request.headers[.accept]) : Self.methodNotAllowed
        case "/":
            response = readOnly ? Self.page : Self.methodNotAllowed
        default:
            response = Self.text(.notFound, "not found; metrics are at /metrics\n")
        }
        return request.method == .head ? response.createHeadResponse() : response
    }

    /// One scrape. A failed read still answers 200, with the exporter's own
    /// metrics only: a 5xx would make Prometheus drop the whole scrape, and
    /// with it vtap_map_read_errors_total, the one series that says what
    /// went wrong. The measurement series go stale meanwhile, as they should.
    private func metrics(accept: String?) async -> Response {
        let started = ContinuousClock.now
        let format = ExpositionFormat.negotiate(accept: accept)
        let scrape = await coalescer.next()
        let body = scrape.body(format) { snapshot, format in
            exposition.render(snapshot, selfMetrics: selfMetrics, format: format)
        }
        selfMetrics.recordScrape(ContinuousClock.now - started)
        return Response(
            status: .ok, headers: [.contentType: format.contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    private static let page = text(
        .ok,
        """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>vtap</title></head>
        <body><h1>vtap</h1><p><a href="/metrics">Metrics</a></p></body></html>

        """, contentType: "text/html; charset=utf-8")

    private static let methodNotAllowed: Response = {
        var response = text(.methodNotAllowed, "only GET and HEAD\n")
        response.headers[.allow] = "GET, HEAD"
        return response
    }()

    private static func text(
        _ status: HTTPResponse.Status, _ body: String, contentType: String = "text/plain; charset=utf-8"
    ) -> Response {
        Response(
            status: status, headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
