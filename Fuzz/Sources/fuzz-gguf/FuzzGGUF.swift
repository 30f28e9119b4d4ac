import FuzzSupport
import Models

/// A GGUF file: open (header, metadata, tensor table), read metadata through the typed
/// accessors, dequantize every tensor, and read the Llama config and tokenizer it may hold.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  FuzzInput.withFile(data, size, suffix: ".gguf") { path in
    guard let file = try? GGUFFile(path: path) else { return }
    for info in file.tensors {
      _ = try? file.tensor(info.name)
      _ = try? file.rows(info.name, 0..<1)
    }
    _ = try? LlamaCheckpoint.config(file)
    _ = try? ByteLevelBPETokenizer(gguf: file)
  }
  return 0
}

@_cdecl("fuzz_gguf_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  FuzzInput.run(argc, argv, fuzzGGUF)
}
