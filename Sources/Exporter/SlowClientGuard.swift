import NIOCore
import NIOHTTPTypes

/// How long a client may take, and how much it may send. Hummingbird's idle
/// timeout drops a connection that sends nothing, or trickles a request head
/// that never completes; SlowClientGuard covers the rest.
struct ConnectionLimits: Sendable {
    /// A connection with no complete request part for this long is closed.
    var idleTimeout: TimeAmount = .seconds(10)
    /// From a request's head to its end.
    var requestTimeout: TimeAmount = .seconds(10)
    /// For a response to be written out to a client that stops reading.
    var writeTimeout: TimeAmount = .seconds(10)
    /// A Prometheus scrape sends about 300 bytes of headers.
    var maxHeaderBytes = 64 * 1024
    /// /metrics takes no body; a little is tolerated, not streamed forever.
    var maxBodyBytes = 64 * 1024
    /// Beyond this many open connections the server stops accepting for a while.
    var maxConnections = 1024
}

/// Closes a connection whose request takes too long to arrive or is too
/// big, or whose response is not taken off the socket in time. It sits
/// after the HTTP/1 decoder, so it sees request parts, not bytes.
final class SlowClientGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ConnectionLimits
    private var requestDeadline: Scheduled<Void>?
    private var bodyBytes = 0

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            bodyBytes = 0
            requestDeadline?.cancel()
            requestDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: limits.requestTimeout) {
                context.close(promise: nil)
            }
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            guard bodyBytes <= limits.maxBodyBytes else {
                context.close(promise: nil)
                return
            }
        case .end:
            requestDeadline?.cancel()
            requestDeadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        // The end of a response is written once everything before it is.
        let written = promise ?? context.eventLoop.makePromise()
        let deadline = context.eventLoop.assumeIsolated().scheduleTask(in: limits.writeTimeout) {
            context.close(promise: nil)
        }
        written.futureResult.assumeIsolated().whenComplete { _ in deadline.cancel() }
        context.write(data, promise: written)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        requestDeadline?.cancel()
        requestDeadline = nil
    }
}
