import Foundation
import IR
import Models
import Runtime
import Testing

@Suite struct SafetensorsTests {
  func sample() throws -> [(name: String, tensor: HostTensor)] {
    [
      ("weight", try HostTensor(shape: [2, 3], [Float(1), -2.5, 3, 0.125, 1e-3, 65504])),
      ("bias", try HostTensor(shape: [3], [Float(0), 1, -1])),
      ("scalar", HostTensor(scalar: Float(7))),
      ("double", try HostTensor(shape: [2], [1.0 / 3, -2.0])),
      ("ids", try HostTensor(shape: [2, 2], [Int32(1), -2, 3, Int32.max])),
      ("long", try HostTensor(shape: [1], [Int64.min])),
      ("mask", try HostTensor(shape: [3], [true, false, true])),
      ("empty", try HostTensor(shape: [0, 4], [Float]())),
      ("weird \"name\"\n✓", try HostTensor(shape: [1], [Float(2)])),
    ]
  }

  @Test func roundTripF32() throws {
    let path = try temporaryDirectory() + "/model.safetensors"
    let tensors = try sample()
    try SafetensorsWriter.write(tensors, metadata: ["format": "pt", "note": "a \"q\""], to: path)
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let headerLength = bytes.prefix(8).enumerated().reduce(0) {
      $0 | Int($1.element) << (8 * $1.offset)
    }
    #expect(headerLength % 8 == 0)
    #expect(bytes[8] == UInt8(ascii: "{"))
    let file = try SafetensorsFile(path: path)
    #expect(file.metadata == ["format": "pt", "note": "a \"q\""])
    #expect(Set(file.tensors.map(\.name)) == Set(tensors.map(\.name)))
    for (name, tensor) in tensors {
      #expect(try file.tensor(name) == tensor, "\(name)")
    }
    #expect(file.info("weight")?.dtype == "F32")
    #expect(file.info("mask")?.dtype == "BOOL")
    // No temporary files are left behind.
    let leftovers = try FileManager.default.contentsOfDirectory(
      atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)
    #expect(leftovers == ["model.safetensors"])
  }

  /// Tensors larger than the writer's pieces (1 Mi elements) and its 4 MiB blocks: the file
  /// is the in-memory encoding byte for byte, and reads back.
  @Test func largeTensorsAreStreamedInPieces() throws {
    let count = (1 << 20) * 3 / 2 + 5
    let large = try HostTensor(shape: [count], (0..<count).map { Float($0 % 1000) / 8 - 60 })
    let ids = try HostTensor(shape: [count], (0..<count).map { Int64($0) * 3 - 7 })
    let tensors = [
      ("a", large), ("small", try HostTensor(shape: [2], [Float(1), 2])), ("ids", ids),
    ]
    let dir = try temporaryDirectory()
    for floats in [SafetensorsFloatFormat.f32, .bf16] {
      let path = dir + "/large.safetensors"
      try SafetensorsWriter.write(tensors, floats: floats, to: path)
      let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
      #expect(written == (try SafetensorsWriter.encode(tensors, floats: floats)))
      let file = try SafetensorsFile(path: path)
      #expect(try file.tensor("ids") == ids)
      if floats == .f32 { #expect(try file.tensor("a") == large) }
    }
  }

  @Test func roundTripHalfFormats() throws {
    let values: [Float] = [1, -2.5, 0.1, 65504, 1e-7, -0.0, 3.14159, 1e30]
    let tensor = try HostTensor(shape: [8], values)
    let dir = try temporaryDirectory()
    try SafetensorsWriter.write(["x": tensor], floats: .f16, to: dir + "/h.safetensors")
    try SafetensorsWriter.write(["x": tensor], floats: .bf16, to: dir + "/b.safetensors")
    let half = try SafetensorsFile(path: dir + "/h.safetensors")
    #expect(half.info("x")?.dtype == "F16")
    let h = try #require(try half.tensor("x").array(of: Float.self))
    #expect(h[0] == 1 && h[1] == -2.5 && h[3] == 65504)
    #expect(abs(h[2] - 0.1) < 1e-4)
    #expect(abs(h[4] - 1e-7) < 6e-8)  // subnormal half
    #expect(h[5] == 0 && h[5].sign == .minus)
    #expect(h[7] == .infinity)
    let bf = try #require(
      try SafetensorsFile(path: dir + "/b.safetensors").tensor("x").array(of: Float.self))
    #expect(bf[0] == 1 && bf[1] == -2.5)
    for (a, b) in zip(bf, values) where b.isFinite && b != 0 {
      #expect(abs(a - b) <= abs(b) / 128)
    }
  }

  /// Malformed files throw errors naming the file (and the tensor when there is one).
  @Test func malformedFiles() throws {
    func file(_ header: String, data: Int = 0, length: UInt64? = nil) -> [UInt8] {
      var b = Bytes()
      b.u64(length ?? UInt64(header.utf8.count))
      b.data.append(contentsOf: header.utf8)
      b.data.append(contentsOf: [UInt8](repeating: 0, count: data))
      return b.data
    }
    let cases: [(String, [UInt8], String?, String)] = [
      ("empty", [], nil, "truncated"),
      ("short length", [1, 2, 3], nil, "truncated"),
      ("absurd header length", file("{}", length: UInt64.max), nil, "header length"),
      ("header past end", file("{}", length: 100), nil, "header length"),
      ("not json", file("{nope"), nil, "JSON"),
      ("not an object", file("[1]"), nil, "'{'"),
      (
        "unknown dtype", file(#"{"w":{"dtype":"F7","shape":[1],"data_offsets":[0,4]}}"#, data: 4),
        "w", "unknown dtype"
      ),
      (
        "offsets past end",
        file(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: 4), "w", "outside"
      ),
      (
        "size mismatch", file(#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: 8),
        "w", "needs 12"
      ),
      (
        "reversed offsets",
        file(#"{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, data: 8), "w", "outside"
      ),
      (
        "negative dim", file(#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#), "w",
        "negative"
      ),
      (
        "overflowing shape",
        file(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#), "w",
        "overflows"
      ),
      ("missing key", file(#"{"w":{"dtype":"F32","shape":[1]}}"#, data: 4), "w", "data_offsets"),
      (
        "wrong type", file(#"{"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#, data: 4),
        "w", "shape"
      ),
      (
        "three offsets",
        file(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}}"#, data: 4), "w",
        "data_offsets"
      ),
      ("bad metadata", file(#"{"__metadata__":{"a":1}}"#), nil, "__metadata__"),
    ]
    for (name, bytes, tensor, expected) in cases {
      let path = try writeTemporary(bytes, name: "bad.safetensors")
      let error = #expect(throws: ModelError.self, "\(name)") {
        _ = try SafetensorsFile(path: path)
      }
      #expect(error?.file == path, "\(name)")
      if let tensor { #expect(error?.tensor == tensor, "\(name): \(String(describing: error))") }
      #expect(
        error.map { "\($0)".contains(expected) } == true, "\(name): \(String(describing: error))")
    }
    // Overlapping tensors in bounds are accepted; an unreadable dtype is an error on read.
    let path = try writeTemporary(
      file(
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
          + #""b":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#, data: 4),
      name: "overlap.safetensors")
    let overlap = try SafetensorsFile(path: path)
    #expect(try overlap.tensor("a").array(of: Float.self) == [0])
    let error = #expect(throws: ModelError.self) { try overlap.tensor("b") }
    #expect(error?.tensor == "b" && error?.file == path)
  }

  @Test func realMiniLM() throws {
    let path = try modelFile("minilm", "model.safetensors")
    let file = try SafetensorsFile(path: path)
    #expect(file.metadata == ["format": "pt"])
    #expect(file.tensors.count == 104)
    #expect(file.tensors.filter { $0.dtype != "F32" }.map(\.name) == ["embeddings.position_ids"])
    let positions = try file.tensor("embeddings.position_ids")
    #expect(positions.shape == [1, 512] && positions.dtype == .i64)
    #expect(positions.array(of: Int64.self) == (0..<512).map(Int64.init))
    #expect(file.info("embeddings.word_embeddings.weight")?.shape == [30522, 384])
    #expect(file.info("embeddings.position_embeddings.weight")?.shape == [512, 384])
    #expect(file.info("encoder.layer.5.attention.self.query.weight")?.shape == [384, 384])
    #expect(file.info("encoder.layer.0.intermediate.dense.weight")?.shape == [1536, 384])
    #expect(file.info("encoder.layer.6.attention.self.query.weight") == nil)
    let parameters = file.tensors.filter { $0.dtype == "F32" }.reduce(0) { $0 + $1.byteCount / 4 }
    #expect(parameters > 22_000_000 && parameters < 23_000_000)
    let norm = try file.tensor("embeddings.LayerNorm.weight")
    #expect(norm.shape == [384])
    #expect(norm.doubles.allSatisfy { $0.isFinite && $0 != 0 })
  }
}
