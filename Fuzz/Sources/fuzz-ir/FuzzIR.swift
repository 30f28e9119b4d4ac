import FuzzSupport
import IR

/// IR text: parse, verify, and parse the printed form again; any input may be rejected, none
/// may trap or hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIR(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let bytes = FuzzInput.bytes(data, size)
  guard let module = try? Parser(fileName: "fuzz.ir").parse(bytes: bytes) else { return 0 }
  for graph in module.graphs { _ = try? verify(graph) }
  _ = try? Parser(fileName: "printed.ir").parse(printModule(module))
  return 0
}

@_cdecl("fuzz_ir_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  FuzzInput.run(argc, argv, fuzzIR)
}
