public import Hummingbird
public import ServiceLifecycle
public import Logging
import NIOCore

/// The central node's HTTP face: `POST /v1/sync` (one envelope in, one out), `GET /metrics`
/// (Prometheus), `GET /healthz`.
public enum SyncServer {
    public static let contentType = "application/x-regsync"
    static let maxEnvelopeBytes = 8 << 20

    /// A Hummingbird application (a `Service`: run it in a `ServiceGroup` for graceful shutdown).
    public static func application(
        responder: CentralResponder, metrics: SyncMetrics, host: String, port: Int, logger: Logger = Logger(label: "regsync.http"),
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.post("/v1/sync") { request, _ -> Response in
            var request = request
            let buffer = try await request.collectBody(upTo: maxEnvelopeBytes)
            let reply = responder.handle(Array(buffer.readableBytesView))
            return Response(
                status: HTTPResponse.Status(code: reply.status),
                headers: [.contentType: reply.isSealed ? contentType : "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
        }
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("/healthz") { _, _ in "ok\n" }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "regsyncd"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}

/// A site daemon's `/metrics` endpoint (no sync route: sites do not accept connections).
public struct MetricsOnlyServer: Service {
    let metrics: SyncMetrics
    let host: String
    let port: Int
    let logger: Logger

    public init(metrics: SyncMetrics, host: String, port: Int, logger: Logger) {
        self.metrics = metrics
        self.host = host
        self.port = port
        self.logger = logger
    }

    public func run() async throws {
        let router = Router()
        let metrics = self.metrics
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("/healthz") { _, _ in "ok\n" }
        try await Application(router: router, configuration: .init(address: .hostname(host, port: port)), logger: logger).runService()
    }
}
