import FuzzSupport
import Models

/// A safetensors file: open (header, offsets), then read every tensor it lists.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  FuzzInput.withFile(data, size, suffix: ".safetensors") { path in
    guard let file = try? SafetensorsFile(path: path) else { return }
    for info in file.tensors { _ = try? file.tensor(info.name) }
  }
  return 0
}

@_cdecl("fuzz_safetensors_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  FuzzInput.run(argc, argv, fuzzSafetensors)
}
