import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// One client connection: gathers each request, hands it to the core, writes the JSON response or
/// streams a watch (chunked, one JSON event per line) until it ends.
final class HTTPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Sent through the pipeline when a watch stream has ended.
    struct WatchFinished {}

    private struct ActiveWatch {
        var id: Int
        var bookmarks: RepeatedTask?
        var timeout: Scheduled<Void>?
    }

    private let core: APIServerCore
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var watch: ActiveWatch?
    /// Whether the connection stays open after the current watch stream ends.
    private var keepAliveAfterWatch = true
    private static let maxBody = 16 << 20

    init(core: APIServerCore) { self.core = core }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
        case .body(var chunk):
            if body.readableBytes + chunk.readableBytes <= Self.maxBody { body.writeBuffer(&chunk) }
        case .end:
            guard let head else { return }
            self.head = nil
            handle(head, context: context)
        }
    }

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers: [String: String] = [:]
        for (name, value) in head.headers { headers[name.lowercased()] = value }
        let request = APIRequest(method: head.method.rawValue, uri: head.uri, headers: headers,
                                 body: Data(body.readableBytesView))
        let address = "127.0.0.1:\(context.channel.localAddress?.port ?? 0)"
        switch core.handle(request, serverAddress: address) {
        case .response(let response):
            respond(response, head: head, context: context)
        case .watch(let plan):
            startWatch(plan, head: head, context: context)
        }
    }

    private func respond(_ response: APIResponse, head: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(head.method == .HEAD ? 0 : response.body.count))
        headers.add(name: "Cache-Control", value: "no-cache, private")
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: response.status)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let keepAlive = head.isKeepAlive
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    private func startWatch(_ plan: WatchPlan, head: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        headers.add(name: "Cache-Control", value: "no-cache, private")
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
        keepAliveAfterWatch = head.isKeepAlive
        let sink = ChannelWatchSink(channel: context.channel)
        let store = core.store
        guard let id = store.watch(plan.filter, from: plan.resourceVersion, sendInitialEvents: plan.sendInitialEvents, sink: sink) else { return }
        var active = ActiveWatch(id: id)
        if plan.bookmarks {
            let interval = TimeAmount(core.bookmarkInterval)
            active.bookmarks = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in store.bookmark(id) }
        }
        if let seconds = plan.timeoutSeconds {
            active.timeout = context.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) {
                store.removeWatch(id)
                sink.finish()
            }
        }
        watch = active
    }

    private func endWatch() {
        guard let active = watch else { return }
        watch = nil
        active.bookmarks?.cancel()
        active.timeout?.cancel()
        core.store.removeWatch(active.id)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is WatchFinished else { return context.fireUserInboundEventTriggered(event) }
        endWatch()
        if !keepAliveAfterWatch { context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        endWatch()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// Writes one watch's events to its connection, in the order the store emits them: every write
/// is queued on the channel's event loop, whichever thread produced it.
final class ChannelWatchSink: WatchSink {
    private let channel: Channel
    private let finished = Atomic<Bool>(false)

    init(channel: Channel) { self.channel = channel }

    func send(_ event: JSONValue) {
        guard !finished.load(ordering: .acquiring) else { return }
        var line = event.serialized()
        line.append(0x0A)
        let data = line, channel = self.channel
        channel.eventLoop.execute {
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(bytes: data))), promise: nil)
        }
    }

    func finish() {
        guard finished.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        let channel = self.channel
        channel.eventLoop.execute {
            channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in
                channel.pipeline.fireUserInboundEventTriggered(HTTPConnectionHandler.WatchFinished())
            }
        }
    }
}
