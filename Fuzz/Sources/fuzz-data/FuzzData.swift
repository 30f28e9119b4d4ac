import Data
import FuzzSupport

/// The data layer's JSONL, JSON, CSV and TSV dataset loaders (the `Data` target), on the same
/// bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzData(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  FuzzInput.withFile(data, size, suffix: ".jsonl") { path in
    _ = try? Datasets.instructionPairs(path)
    _ = try? Datasets.pairs(path, side: .harmful)
    _ = try? Datasets.beaverTails(path)
    _ = try? Datasets.beaverTailsEvaluation(path)
  }
  FuzzInput.withFile(data, size, suffix: ".json") { path in _ = try? Datasets.beaverTails(path) }
  FuzzInput.withFile(data, size, suffix: ".csv") { path in
    _ = try? Datasets.harmBench(path)
    _ = try? Datasets.humanLabelled(path, set: "fuzz")
  }
  FuzzInput.withFile(data, size, suffix: ".tsv") { path in _ = try? Datasets.sst2(path) }
  return 0
}

@_cdecl("fuzz_data_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  FuzzInput.run(argc, argv, fuzzData)
}
