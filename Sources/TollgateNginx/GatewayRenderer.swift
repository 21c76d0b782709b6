import TollgateGraph
import TollgateModel

/// Renders Gateways to NGINX files incrementally: a Gateway whose model is unchanged since last
/// time keeps its files without building its IR, and a changed Gateway rewrites only the server
/// files whose server changed. The result always equals a fresh `ConfigWriter().write` of the IR.
public struct GatewayRenderer: Sendable {
    public var builder: IRBuilder
    public var writer = ConfigWriter()
    private struct Rendered: Sendable {
        var model: GatewayModel
        var ir: GatewayIR
        var files: RenderedFiles
        var servers: ServerMemo
    }
    private var cache: [ObjectKey: Rendered] = [:]
    /// How many Gateways the last `render` call actually re-rendered.
    public private(set) var lastRenderCount = 0
    /// Gateways the last `render` call refused to render, with the value it refused. They are
    /// missing from its result, so whatever version they had keeps serving.
    public private(set) var lastRefusals: [ObjectKey: UnsafeValue] = [:]

    public init(builder: IRBuilder = IRBuilder()) { self.builder = builder }

    /// Files of every accepted Gateway in the graph.
    public mutating func render(_ graph: Graph) -> [ObjectKey: RenderedFiles] {
        var out: [ObjectKey: RenderedFiles] = [:]
        var next: [ObjectKey: Rendered] = [:]
        lastRenderCount = 0
        lastRefusals = [:]
        for (key, gw) in graph.gateways where gw.accepted {
            let cached = cache[key]
            if let cached, cached.model == gw {
                next[key] = cached
                out[key] = cached.files
                continue
            }
            var servers = cached?.servers ?? ServerMemo()
            let ir = builder.build(gw, memo: &servers)
            let files: RenderedFiles
            if let cached, cached.ir == ir {
                files = cached.files
            } else {
                do {
                    files = try writer.write(ir, reusing: cached.map { ($0.ir, $0.files) })
                } catch {
                    lastRefusals[key] = error
                    continue
                }
                lastRenderCount += 1
            }
            next[key] = Rendered(model: gw, ir: ir, files: files, servers: servers)
            out[key] = files
        }
        cache = next
        return out
    }

    /// Renders one Gateway without caching.
    public func render(_ gw: GatewayModel) throws(UnsafeValue) -> RenderedFiles { try writer.write(builder.build(gw)) }
}
