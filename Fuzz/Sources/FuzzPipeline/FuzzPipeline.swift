// libFuzzer target: arbitrary bytes -> the whole offline pipeline a tenant's manifest goes through:
// decode -> admission (objects with violations are dropped, as the loader does) -> Store -> graph
// -> NGINX files -> status documents. Nothing may trap, hang or exhaust memory, and one invariant
// is checked: the renderer never refuses a Gateway the graph accepted (the graph must have turned
// every value NGINX cannot express into a condition before rendering).
import Foundation
import TollgateAdmission
import TollgateGraph
import TollgateManifests
import TollgateModel
import TollgateNginx

let now = Date(timeIntervalSince1970: 1_800_000_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let decoded = ManifestDecoder().decode(text: text, file: "fuzz.yaml")
    var n = 0
    var store = Store()
    for (object, _) in decoded.objects {
        let violations = Admission.review(object)
        if violations.isEmpty {
            store.upsert(object)
        } else {
            for v in violations { n &+= v.description.utf8.count }
        }
    }

    let graph = GraphBuilder().build(store, now: now)
    var renderer = GatewayRenderer()
    let files = renderer.render(graph)
    precondition(renderer.lastRefusals.isEmpty,
                 "renderer refused a Gateway the graph accepted: \(renderer.lastRefusals)")
    for (_, rendered) in files {
        for (_, file) in rendered.files { n &+= file.contents.count }
    }

    // Status as `tollgate status` prints it; one format per input (chosen by its length, so a
    // reproducer replays the same way), which keeps the target fast enough for long runs.
    let documents = graph.statusDocuments(store: store)
    let format = StatusPrinter.Format.allCases[size % StatusPrinter.Format.allCases.count]
    do {
        n &+= try StatusPrinter.render(documents, format: format).utf8.count
    } catch {
        preconditionFailure("status documents could not be printed as \(format): \(error)")
    }
    blackHole(n)
    return 0
}

@inline(never)
func blackHole(_ n: Int) { if n == Int.min { print(n) } }

// SwiftPM links every executable with `--defsym main=<Module>_main` (so executables are testable)
// and, under -parse-as-library, emits no such function: provide it, starting libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@_cdecl("FuzzPipeline_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
