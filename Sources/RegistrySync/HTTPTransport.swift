import AsyncHTTPClient
import Foundation
import NIOCore
import RegistryProtocol

/// Sends envelopes to the central node's `POST /v1/sync` over HTTP(S).
public struct HTTPSyncTransport: SyncTransport {
    public let url: String
    let client: HTTPClient
    let timeout: TimeAmount

    /// Uses the process-wide client; `timeout` bounds each request, so a stalled link fails fast.
    public init(url: String, timeoutSeconds: Int64 = 30) {
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        client = HTTPClient.shared
        timeout = .seconds(timeoutSeconds)
    }

    public func exchange(_ envelope: [UInt8]) async throws(SyncError) -> [UInt8] {
        var request = HTTPClientRequest(url: url + "/v1/sync")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: SyncServer.contentType)
        request.body = .bytes(ByteBuffer(bytes: envelope))
        let body: ByteBuffer
        let status: UInt
        do {
            let response = try await client.execute(request, timeout: timeout)
            status = response.status.code
            body = try await response.body.collect(upTo: 16 << 20)
        } catch {
            throw SyncError(.transport, "request to the central node failed: \(type(of: error))")
        }
        let bytes = Array(body.readableBytesView)
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
}
