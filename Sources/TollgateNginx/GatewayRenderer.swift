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

    /// Files of every accepted Gateway in the graph. Gateways are rendered concurrently (each from
    /// its own model and cached files only); the result does not depend on the order.
    public mutating func render(_ graph: Graph) -> [ObjectKey: RenderedFiles] {
        let jobs = graph.gateways.filter(\.value.accepted).keys.sorted().map { (model: graph.gateways[$0]!, cached: cache[$0]) }
        let builder = builder, writer = writer
        let outcomes = Parallel.map(jobs) { Self.render($0.model, cached: $0.cached, builder: builder, writer: writer) }
        var out: [ObjectKey: RenderedFiles] = [:]
        var next: [ObjectKey: Rendered] = [:]
        lastRenderCount = 0
        lastRefusals = [:]
        for (job, outcome) in zip(jobs, outcomes) {
            let key = job.model.key
            switch outcome {
            case .refused(let error):
                lastRefusals[key] = error
            case .rendered(let r, let written):
                if written { lastRenderCount += 1 }
                next[key] = r
                out[key] = r.files
            }
        }
        cache = next
        return out
    }

    private enum Outcome: Sendable {
        /// `written`: the files were written anew (not the cached ones).
        case rendered(Rendered, written: Bool)
        case refused(UnsafeValue)
    }

    /// One Gateway: its cached files when its model is unchanged, else its IR (reusing the
    /// cached servers whose inputs are unchanged) and, when the IR changed, its files.
    private static func render(_ gw: GatewayModel, cached: Rendered?, builder: IRBuilder, writer: ConfigWriter) -> Outcome {
        if let cached, cached.model == gw { return .rendered(cached, written: false) }
        var servers = cached?.servers ?? ServerMemo()
        let ir = builder.build(gw, memo: &servers)
        if let cached, cached.ir == ir {
            return .rendered(Rendered(model: gw, ir: ir, files: cached.files, servers: servers), written: false)
        }
        do {
            let files = try writer.write(ir, reusing: cached.map { ($0.ir, $0.files) })
            return .rendered(Rendered(model: gw, ir: ir, files: files, servers: servers), written: true)
        } catch {
            return .refused(error)
        }
    }

    /// Renders one Gateway without caching.
    public func render(_ gw: GatewayModel) throws(UnsafeValue) -> RenderedFiles { try writer.write(builder.build(gw)) }
}
