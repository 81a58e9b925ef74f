import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A loopback TCP proxy that damages traffic on purpose: drops connections, stalls, truncates
/// replies and duplicates requests. The demo's flaky link and the fault tests go through it.
///
/// Listens on 127.0.0.1 only and forwards to one loopback port; every fault is drawn from a seeded
/// generator, so a failing run can be replayed.
public final class FaultProxy: Sendable {
    public struct Faults: Sendable, Equatable {
        /// Per reply chunk: close both sides instead of forwarding it (the request may have been applied).
        public var drop: Double
        /// Per reply chunk: forward half of it, then close.
        public var truncate: Double
        /// Per reply chunk: hold it back `stallMilliseconds` first.
        public var stall: Double
        public var stallMilliseconds: Int64
        /// Per request chunk: also send a copy upstream on a second connection (its reply is discarded).
        public var duplicate: Double
        /// Emulated link speed in each direction, bytes per second (nil: as fast as loopback).
        public var bytesPerSecond: Int?
        /// The link goes down every so often (a random interval in this range of milliseconds, nil:
        /// never): every connection open at that moment is cut, whoever opened it and whenever.
        public var linkCutEveryMilliseconds: ClosedRange<Int64>?

        public init(
            drop: Double = 0, truncate: Double = 0, stall: Double = 0, stallMilliseconds: Int64 = 0, duplicate: Double = 0,
            bytesPerSecond: Int? = nil, linkCutEveryMilliseconds: ClosedRange<Int64>? = nil
        ) {
            self.drop = drop
            self.truncate = truncate
            self.stall = stall
            self.stallMilliseconds = stallMilliseconds
            self.duplicate = duplicate
            self.bytesPerSecond = bytesPerSecond
            self.linkCutEveryMilliseconds = linkCutEveryMilliseconds
        }

        public static let none = Faults()
    }

    /// What the proxy did so far.
    public struct Statistics: Sendable, Equatable {
        public var connections = 0
        public var dropped = 0
        public var truncated = 0
        public var stalled = 0
        public var duplicated = 0
        public var bytesUp = 0
        public var bytesDown = 0
    }

    let state: NIOLockedValueBox<(faults: Faults, random: UInt64, statistics: Statistics)>
    /// Client connections open now (what a link cut closes).
    let open = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    let upstreamPort: Int
    let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    public let port: Int

    /// Starts listening on 127.0.0.1 (a free port) and forwarding to `127.0.0.1:upstreamPort`.
    public init(upstreamPort: Int, faults: Faults, seed: UInt64) async throws {
        self.upstreamPort = upstreamPort
        state = NIOLockedValueBox((faults, seed, Statistics()))
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let box = UnsafeTransfer(value: nil as FaultProxy?)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                guard let proxy = box.value else { return child.close() }
                return child.pipeline.addHandler(ClientSide(proxy: proxy))
            }
        channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
        box.value = self
        scheduleLinkCut()
    }

    /// Cuts every open connection at random intervals, for as long as the proxy runs.
    private func scheduleLinkCut() {
        guard let every = faults.linkCutEveryMilliseconds else { return }
        let after = every.lowerBound + Int64(draw() * Double(every.upperBound - every.lowerBound))
        group.next().scheduleTask(in: .milliseconds(after)) { [weak self] in
            guard let self else { return }
            let cut = self.open.withLockedValue { open in defer { open = [:] }; return Array(open.values) }
            if !cut.isEmpty { self.count { $0.dropped += cut.count } }
            for channel in cut { channel.close(promise: nil) }
            self.scheduleLinkCut()
        }
    }

    public var faults: Faults {
        get { state.withLockedValue { $0.faults } }
        set { state.withLockedValue { $0.faults = newValue } }
    }

    public var statistics: Statistics { state.withLockedValue { $0.statistics } }

    public func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    /// Draws a number in [0, 1) from the proxy's seeded generator (SplitMix64).
    func draw() -> Double {
        state.withLockedValue { state in
            state.random &+= 0x9E37_79B9_7F4A_7C15
            var z = state.random
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }

    func count(_ update: (inout Statistics) -> Void) { state.withLockedValue { update(&$0.statistics) } }

    func connectUpstream(on loop: any EventLoop, forwardingTo client: (any Channel)?) -> EventLoopFuture<any Channel> {
        ClientBootstrap(group: loop)
            .channelInitializer { upstream in
                upstream.pipeline.addHandler(ServerSide(proxy: self, client: client))
            }
            .connect(host: "127.0.0.1", port: upstreamPort)
    }
}

/// Reads from the client, forwards upstream (and maybe a duplicate on a second connection).
private final class ClientSide: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let proxy: FaultProxy
    var upstream: (any Channel)?
    var pending: [ByteBuffer] = []

    init(proxy: FaultProxy) { self.proxy = proxy }

    let throttle = Throttle()

    func channelActive(context: ChannelHandlerContext) {
        proxy.count { $0.connections += 1 }
        let client = context.channel
        proxy.open.withLockedValue { $0[ObjectIdentifier(client)] = client }
        proxy.connectUpstream(on: context.eventLoop, forwardingTo: client).whenComplete { result in
            switch result {
            case .success(let upstream):
                self.upstream = upstream
                for buffer in self.pending { self.throttle.send(buffer, to: upstream, rate: self.proxy.faults.bytesPerSecond, on: upstream.eventLoop) }
                self.pending = []
            case .failure:
                client.close(promise: nil)
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        proxy.count { $0.bytesUp += buffer.readableBytes }
        if proxy.draw() < proxy.faults.duplicate {
            proxy.count { $0.duplicated += 1 }
            proxy.connectUpstream(on: context.eventLoop, forwardingTo: nil).whenSuccess { shadow in
                shadow.writeAndFlush(buffer).whenComplete { _ in
                    shadow.eventLoop.scheduleTask(in: .seconds(2)) { shadow.close(promise: nil) }
                }
            }
        }
        guard let upstream else {
            pending.append(buffer)
            return
        }
        throttle.send(buffer, to: upstream, rate: proxy.faults.bytesPerSecond, on: context.eventLoop)
    }

    func channelInactive(context: ChannelHandlerContext) {
        proxy.open.withLockedValue { $0[ObjectIdentifier(context.channel)] = nil }
        upstream?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

/// Reads the central node's reply and damages it as the faults say before passing it on.
private final class ServerSide: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let proxy: FaultProxy
    let client: (any Channel)?
    let throttle = Throttle()

    init(proxy: FaultProxy, client: (any Channel)?) {
        self.proxy = proxy
        self.client = client
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let client else { return }  // a duplicate's reply: discarded
        var buffer = unwrapInboundIn(data)
        let faults = proxy.faults
        let upstream = context.channel
        if proxy.draw() < faults.drop {
            proxy.count { $0.dropped += 1 }
            client.close(promise: nil)
            upstream.close(promise: nil)
            return
        }
        if proxy.draw() < faults.truncate, buffer.readableBytes > 1 {
            proxy.count { $0.truncated += 1 }
            let half = buffer.readSlice(length: buffer.readableBytes / 2)!
            client.writeAndFlush(half).whenComplete { _ in
                client.close(promise: nil)
                upstream.close(promise: nil)
            }
            return
        }
        proxy.count { $0.bytesDown += buffer.readableBytes }
        if proxy.draw() < faults.stall {
            proxy.count { $0.stalled += 1 }
            let throttle = self.throttle
            let held = buffer
            throttle.hold(until: .now() + .milliseconds(faults.stallMilliseconds))
            context.eventLoop.scheduleTask(in: .milliseconds(faults.stallMilliseconds)) {
                throttle.send(held, to: client, rate: faults.bytesPerSecond, on: client.eventLoop)
            }
        } else {
            throttle.send(buffer, to: client, rate: faults.bytesPerSecond, on: context.eventLoop)
        }
    }

    /// The central node closed (it does after answering a `Connection: close` request): like a real
    /// proxy, deliver what is still paced or held, then close the client's side.
    func channelInactive(context: ChannelHandlerContext) {
        if let client { throttle.whenDrained(on: client.eventLoop) { client.close(promise: nil) } }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

/// Paces writes in one direction to a link speed: slices of 512 bytes, each released when the link
/// would have finished sending the previous ones.
private final class Throttle: @unchecked Sendable {
    private var nextFree = NIODeadline.now()
    private var heldUntil = NIODeadline.now()

    /// Data held back (a stall) will be sent at `deadline`.
    func hold(until deadline: NIODeadline) { heldUntil = max(heldUntil, deadline) }

    /// Runs `body` once everything sent or held so far has gone out.
    func whenDrained(on loop: any EventLoop, _ body: @escaping @Sendable () -> Void) {
        let done = max(nextFree, heldUntil)
        guard done > .now() else { return body() }
        loop.scheduleTask(deadline: done + .milliseconds(1)) { self.whenDrained(on: loop, body) }
    }

    func send(_ buffer: ByteBuffer, to channel: any Channel, rate: Int?, on loop: any EventLoop) {
        guard let rate, rate > 0 else {
            channel.writeAndFlush(buffer, promise: nil)
            return
        }
        var buffer = buffer
        while buffer.readableBytes > 0, let slice = buffer.readSlice(length: min(512, buffer.readableBytes)) {
            let start = max(nextFree, .now())
            nextFree = start + .nanoseconds(Int64(slice.readableBytes) * 1_000_000_000 / Int64(rate))
            loop.scheduleTask(deadline: nextFree) { channel.writeAndFlush(slice, promise: nil) }
        }
    }
}

/// Hands a value across the bootstrap's `@Sendable` initialiser (set once, before any connection).
private final class UnsafeTransfer<Value>: @unchecked Sendable {
    var value: Value
    init(value: Value) { self.value = value }
}
