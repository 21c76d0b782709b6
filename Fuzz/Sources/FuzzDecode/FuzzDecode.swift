// libFuzzer target: arbitrary bytes -> ManifestDecoder, the first code that sees a tenant's file.
// Whatever the input, decoding must return (objects, errors, warnings) and never trap, hang or
// exhaust memory. Build and run with scripts/fuzz.sh (release, -sanitize=fuzzer,address).
import TollgateManifests

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let result = ManifestDecoder().decode(text: text, file: "fuzz.yaml")
    // The loader prints every diagnostic: format them too.
    var n = result.objects.count
    for e in result.errors { n &+= e.description.utf8.count }
    for w in result.warnings { n &+= w.description.utf8.count }
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

@_cdecl("FuzzDecode_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
