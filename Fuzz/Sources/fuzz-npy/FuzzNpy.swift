import FuzzSupport
import Runtime

/// `.npy` bytes: decode, and encode what decoded.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNpy(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let bytes = FuzzInput.bytes(data, size)
  if let tensor = try? Npy.decode(bytes, path: "fuzz.npy") { _ = Npy.encode(tensor) }
  return 0
}

@_cdecl("fuzz_npy_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  FuzzInput.run(argc, argv, fuzzNpy)
}
