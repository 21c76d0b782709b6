import TollgateGraph
import TollgateModel

/// Renders Gateways to NGINX files, skipping Gateways whose IR did not change since last time.
public struct GatewayRenderer: Sendable {
    public var builder: IRBuilder
    public var writer = ConfigWriter()
    private var cache: [ObjectKey: (ir: GatewayIR, files: RenderedFiles)] = [:]
    /// How many Gateways the last `render` call actually re-rendered.
    public private(set) var lastRenderCount = 0
    /// Gateways the last `render` call refused to render, with the value it refused. They are
    /// missing from its result, so whatever version they had keeps serving.
    public private(set) var lastRefusals: [ObjectKey: UnsafeValue] = [:]

    public init(builder: IRBuilder = IRBuilder()) { self.builder = builder }

    /// Files of every accepted Gateway in the graph.
    public mutating func render(_ graph: Graph) -> [ObjectKey: RenderedFiles] {
        var out: [ObjectKey: RenderedFiles] = [:]
        var next: [ObjectKey: (ir: GatewayIR, files: RenderedFiles)] = [:]
        lastRenderCount = 0
        lastRefusals = [:]
        for (key, gw) in graph.gateways where gw.accepted {
            let ir = builder.build(gw)
            let files: RenderedFiles
            if let cached = cache[key], cached.ir == ir {
                files = cached.files
            } else {
                do {
                    files = try writer.write(ir)
                } catch {
                    lastRefusals[key] = error
                    continue
                }
                lastRenderCount += 1
            }
            next[key] = (ir, files)
            out[key] = files
        }
        cache = next
        return out
    }

    /// Renders one Gateway without caching.
    public func render(_ gw: GatewayModel) throws(UnsafeValue) -> RenderedFiles { try writer.write(builder.build(gw)) }
}
