import TollgateGraph
import TollgateModel

/// Renders Gateways to NGINX files, skipping Gateways whose IR did not change since last time.
public struct GatewayRenderer: Sendable {
    public var builder: IRBuilder
    public var writer = ConfigWriter()
    private var cache: [ObjectKey: (ir: GatewayIR, files: RenderedFiles)] = [:]
    /// How many Gateways the last `render` call actually re-rendered.
    public private(set) var lastRenderCount = 0

    public init(builder: IRBuilder = IRBuilder()) { self.builder = builder }

    /// Files of every accepted Gateway in the graph.
    public mutating func render(_ graph: Graph) -> [ObjectKey: RenderedFiles] {
        var out: [ObjectKey: RenderedFiles] = [:]
        var next: [ObjectKey: (ir: GatewayIR, files: RenderedFiles)] = [:]
        lastRenderCount = 0
        for (key, gw) in graph.gateways where gw.accepted {
            let ir = builder.build(gw)
            if let cached = cache[key], cached.ir == ir {
                next[key] = cached
            } else {
                next[key] = (ir, writer.write(ir))
                lastRenderCount += 1
            }
            out[key] = next[key]!.files
        }
        cache = next
        return out
    }

    /// Renders one Gateway without caching.
    public func render(_ gw: GatewayModel) -> RenderedFiles { writer.write(builder.build(gw)) }
}
