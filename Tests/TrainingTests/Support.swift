import Data
import Foundation
import Models
import Runtime
import Training

/// The data directory, found as the command-line tools find it: `$SCALPEL_DATA`, else the
/// checkout's `data/`.
func testData() throws -> DataDirectory {
  try DataDirectory.resolve(option: nil, environment: ProcessInfo.processInfo.environment)
}

/// The repository root, from this file's path (Tests/TrainingTests/Support.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().path

/// SmolLM2's GGUF from the tools' cache (`CacheLocation`), fetched with this checkout's script if
/// missing (a failed fetch fails the test).
func smolLM2File() throws -> String {
  let store = ModelStore(
    cacheDirectory: CacheLocation.root(), fetchScript: repositoryRoot + "/scripts/fetch-models")
  return try store.locate(.known(.smolLM2)).path
}

func temporaryDirectory() throws -> String {
  let path = NSTemporaryDirectory() + "scalpel-training-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// A tiny Llama: vocabulary 64, width 16, 2 layers, 2 heads.
let tinyModel = Llama(LlamaConfig(vocabulary: 64, dimension: 16, layers: 2, heads: 2, hidden: 32))

/// A learnable toy task: prompt `[1, a, b, c, 2]`, answer `[a+1, b+1, c+1, 3]` (3 = EOS).
func toySamples(count: Int, seed: UInt64) -> [EncodedSample] {
  var g = SeededRandom(seed: seed)
  return (0..<count).map { _ in
    let xs = (0..<3).map { _ in 4 + g.index(below: 40) }
    return EncodedSample(ids: [1] + xs + [2] + xs.map { $0 + 1 } + [3], answerStart: 5)
  }
}
