import Foundation
import Models
import Runtime
import Testing

/// The repository root, from this file's path (Tests/ModelsTests/TestFiles.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().path

/// A fresh temporary directory for one test.
func temporaryDirectory() throws -> String {
  let path = NSTemporaryDirectory() + "scalpel-models-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// Writes `bytes` to a new temporary file and returns its path.
func writeTemporary(_ bytes: [UInt8], name: String = "file.bin") throws -> String {
  let path = try temporaryDirectory() + "/" + name
  try Data(bytes).write(to: URL(fileURLWithPath: path))
  return path
}

/// The model cache the tools use (`CacheLocation`: `$SCALPEL_CACHE` or `~/.cache/scalpel`); a
/// missing model is fetched with this checkout's `scripts/fetch-models` (`scripts/test` fetches
/// them once before the tests start).
let testModelStore = ModelStore(
  cacheDirectory: CacheLocation.root(), fetchScript: repositoryRoot + "/scripts/fetch-models")

/// The path of `file` of the known model `model`, fetched if missing; throws if it cannot be
/// fetched (so tests on real files never pass silently).
func modelFile(_ model: String, _ file: String) throws -> String {
  let known = try #require(KnownModel.all.first { $0.name == model }, "no known model \(model)")
  _ = try testModelStore.locate(.known(known))
  return testModelStore.directory(of: known) + "/" + file
}

/// Little-endian byte building for synthetic files.
struct Bytes {
  var data: [UInt8] = []
  mutating func u8(_ v: UInt8) { data.append(v) }
  mutating func int<T: FixedWidthInteger>(_ v: T) {
    withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) }
  }
  mutating func u32(_ v: UInt32) { int(v) }
  mutating func u64(_ v: UInt64) { int(v) }
  mutating func f32(_ v: Float) { int(v.bitPattern) }
  mutating func f64(_ v: Double) { int(v.bitPattern) }
  mutating func string(_ s: String) {
    u64(UInt64(s.utf8.count))
    data.append(contentsOf: s.utf8)
  }
  mutating func pad(to alignment: Int) {
    while data.count % alignment != 0 { data.append(0) }
  }
}
