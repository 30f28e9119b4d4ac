import FuzzSupport
import Models

/// A tokenizer.json: read it as a byte-level BPE and as a WordPiece tokenizer, then encode and
/// decode a short text with whichever loads.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let text = "Hello, wörld! 123 <|im_start|>"
  FuzzInput.withFile(data, size, suffix: "-tokenizer.json") { path in
    if let bpe = try? ByteLevelBPETokenizer(tokenizerJSON: path) {
      _ = try? bpe.decode(bpe.encode(text))
    }
    if let wordPiece = try? WordPieceTokenizer(tokenizerJSON: path) {
      _ = try? wordPiece.decode(wordPiece.encode(text))
    }
  }
  return 0
}

@_cdecl("fuzz_tokenizer_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  FuzzInput.run(argc, argv, fuzzTokenizer)
}
