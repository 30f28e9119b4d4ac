import FuzzSupport
import Training

/// The JSONL and CSV dataset loaders, on the same bytes: kept thin so that it follows the data
/// layer's public readers wherever they move.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzData(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  FuzzInput.withFile(data, size, suffix: ".jsonl") { path in
    _ = try? Datasets.instructionPairs(path)
    _ = try? Datasets.beaverTails(path)
  }
  FuzzInput.withFile(data, size, suffix: ".json") { path in _ = try? Datasets.beaverTails(path) }
  FuzzInput.withFile(data, size, suffix: ".csv") { path in
    _ = try? Datasets.harmBench(path)
    _ = try? Datasets.sst2(path)
  }
  return 0
}

@_cdecl("fuzz_data_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  FuzzInput.run(argc, argv, fuzzData)
}
