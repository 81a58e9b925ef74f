import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import RegistryProtocol

/// Sends envelopes to the central node's `POST /v1/sync` over HTTP(S): one connection per exchange
/// (`Connection: close`), straight on NIOHTTP1 (+ NIOSSL for https) on NIO's shared event loops.
///
/// A site makes a handful of requests a minute, one at a time, so it needs no connection pool; an
/// HTTP client library's pool, tracing and configuration machinery would only add code an idle site
/// daemon keeps resident (BENCHMARKS.md, idle site daemon).
public struct HTTPSyncTransport: SyncTransport {
    public let url: String
    let endpoint: Endpoint?
    let timeout: TimeAmount
    let tls: NIOSSLContext?

    /// `timeout` bounds each exchange as a whole (connect, send, answer), so a stalled link fails fast.
    public init(url: String, timeoutSeconds: Int64 = 30) {
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        endpoint = Endpoint(self.url)
        timeout = .seconds(timeoutSeconds)
        tls = endpoint?.isTLS == true ? try? NIOSSLContext(configuration: .makeClientConfiguration()) : nil
    }

    public func exchange(_ envelope: [UInt8]) async throws(SyncError) -> [UInt8] {
        guard let endpoint else { throw SyncError(.invalidInput, "the central node's URL is not http(s)://host[:port][/path]: \(url)") }
        if endpoint.isTLS && tls == nil { throw SyncError(.transport, "TLS is not available (no client context)") }
        let status: UInt
        let bytes: [UInt8]
        do {
            (status, bytes) = try await post(envelope, to: endpoint)
        } catch {
            throw SyncError(.transport, "request to the central node failed: \(type(of: error))")
        }
        if status != 200 {
            // Unsealed refusals carry a JSON code (the central node had no channel to us).
            let code = (try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])?["code"] as? String
            if let code, let rejection = RejectionCode(rawValue: code) {
                throw SyncError(.rejected, "central node refused: \(code)", rejection: rejection)
            }
            throw SyncError(.transport, "central node answered HTTP \(status)")
        }
        return bytes
    }

    private func post(_ envelope: [UInt8], to endpoint: Endpoint) async throws -> (UInt, [UInt8]) {
        let deadline = NIODeadline.now() + timeout
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let answer = eventLoop.makePromise(of: (UInt, [UInt8]).self)
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: endpoint.path + "/v1/sync")
        head.headers = [
            "Host": endpoint.hostHeader, "Content-Type": SyncServer.contentType, "Content-Length": String(envelope.count),
            "Connection": "close",
        ]
        let request = head
        let tls = self.tls
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        let hostname = endpoint.isIPAddress ? nil : endpoint.host
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: hostname))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        ExchangeHandler(request: request, body: envelope, answer: answer, maxAnswerBytes: 16 << 20))
                }
            }
        let channel: any NIOCore.Channel
        do {
            channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            answer.fail(error)
            throw error
        }
        // At the deadline the connection is closed; the handler then fails the answer.
        let expiry = eventLoop.scheduleTask(deadline: deadline) { channel.close(promise: nil) }
        defer { expiry.cancel() }
        return try await answer.futureResult.get()
    }
}

/// Writes the request when the connection is up and collects the answer; the answer fails if the
/// connection closes (or errs, or the answer grows past the limit) before the answer is complete.
private final class ExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    struct ConnectionClosed: Error {}
    struct AnswerTooLarge: Error {}

    let request: HTTPRequestHead
    let body: [UInt8]
    let answer: EventLoopPromise<(UInt, [UInt8])>
    let maxAnswerBytes: Int
    var status: UInt = 0
    var received: ByteBuffer?
    var done = false

    init(request: HTTPRequestHead, body: [UInt8], answer: EventLoopPromise<(UInt, [UInt8])>, maxAnswerBytes: Int) {
        self.request = request
        self.body = body
        self.answer = answer
        self.maxAnswerBytes = maxAnswerBytes
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(request)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status.code
        case .body(var part):
            if (received?.readableBytes ?? 0) + part.readableBytes > maxAnswerBytes {
                finish(.failure(AnswerTooLarge()))
                context.close(promise: nil)
            } else if received == nil {
                received = part
            } else {
                received!.writeBuffer(&part)
            }
        case .end:
            finish(.success((status, received.map { Array($0.readableBytesView) } ?? [])))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(ConnectionClosed()))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { finish(.failure(ConnectionClosed())) }

    private func finish(_ result: Result<(UInt, [UInt8]), any Error>) {
        guard !done else { return }
        done = true
        answer.completeWith(result)
    }
}

/// The parts of the central node's URL a request needs.
struct Endpoint: Sendable {
    let isTLS: Bool
    let host: String
    let port: Int
    /// Path prefix without a trailing slash ("" for none).
    let path: String

    init?(_ url: String) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = parsed.host, !host.isEmpty else { return nil }
        isTLS = scheme == "https"
        // URL keeps the brackets of an IPv6 literal on some platforms: connect() wants it bare.
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        port = parsed.port ?? (isTLS ? 443 : 80)
        let path = parsed.path
        self.path = path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    var isIPAddress: Bool { (try? SocketAddress(ipAddress: host, port: port)) != nil }

    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (isTLS ? 443 : 80) ? name : "\(name):\(port)"
    }
}
