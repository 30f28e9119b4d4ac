import Foundation
import IR
import Models
import Runtime
import Testing

/// A synthetic tensor for the GGUF writer: GGUF dims, type code, raw data.
struct SyntheticTensor {
  var name: String
  var dims: [UInt64]
  var type: UInt32
  var data: [UInt8]
}

/// Builds a GGUF v3 file: metadata entries (already encoded as type + value bytes) and tensors.
func makeGGUF(
  version: UInt32 = 3, metadata: [(String, (inout Bytes) -> Void)] = [],
  tensors: [SyntheticTensor] = [], alignment: Int = 32
) -> [UInt8] {
  var b = Bytes()
  b.data.append(contentsOf: Array("GGUF".utf8))
  b.u32(version)
  b.u64(UInt64(tensors.count))
  b.u64(UInt64(metadata.count))
  for (key, write) in metadata {
    b.string(key)
    write(&b)
  }
  var offset = 0
  var offsets: [Int] = []
  for t in tensors {
    offsets.append(offset)
    offset += t.data.count
    offset = (offset + alignment - 1) / alignment * alignment
  }
  for (t, o) in zip(tensors, offsets) {
    b.string(t.name)
    b.u32(UInt32(t.dims.count))
    for d in t.dims { b.u64(d) }
    b.u32(t.type)
    b.u64(UInt64(o))
  }
  b.pad(to: alignment)
  for t in tensors {
    b.data.append(contentsOf: t.data)
    b.pad(to: alignment)
  }
  return b.data
}

func half(_ bits: UInt16) -> [UInt8] { [UInt8(bits & 0xff), UInt8(bits >> 8)] }

/// Q8_0: two blocks, d = 0.5 then d = -2; q_j = j − 16.
let q8Data: [UInt8] =
  half(0x3800) + (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }
  + half(0xC000) + (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }
let q8Expected: [Float] =
  (0..<32).map { Float($0 - 16) * 0.5 } + (0..<32).map { Float($0 - 16) * -2 }
/// Q4_0: d = 2, byte j holds lo = j, hi = 15 − j: x_j = (j − 8)·2, x_{j+16} = (7 − j)·2.
let q4_0Data: [UInt8] = half(0x4000) + (0..<16).map { UInt8($0 | ((15 - $0) << 4)) }
let q4_0Expected: [Float] = (0..<16).map { Float($0 - 8) * 2 } + (0..<16).map { Float(7 - $0) * 2 }
/// Q4_1: d = 0.25, m = −1, same nibbles: x_j = j/4 − 1, x_{j+16} = (15 − j)/4 − 1.
let q4_1Data: [UInt8] = half(0x3400) + half(0xBC00) + (0..<16).map { UInt8($0 | ((15 - $0) << 4)) }
let q4_1Expected: [Float] =
  (0..<16).map { Float($0) * 0.25 - 1 }
  + (0..<16).map { Float(15 - $0) * 0.25 - 1 }
/// F16: 1, −2, 0.5, 65504, 2⁻²⁴ (smallest subnormal), +∞.
let f16Data: [UInt8] = [0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x7C00].flatMap(half)
let f16Expected: [Float] = [1, -2, 0.5, 65504, 0x1p-24, .infinity]

func syntheticTensors() -> [SyntheticTensor] {
  var f32 = Bytes()
  for v: Float in [1, 2, 3, 4, 5, 6] { f32.f32(v) }
  return [
    SyntheticTensor(name: "f32", dims: [3, 2], type: 0, data: f32.data),
    SyntheticTensor(name: "f16", dims: [6], type: 1, data: f16Data),
    SyntheticTensor(name: "bf16", dims: [2], type: 30, data: half(0x3F80) + half(0xC040)),
    SyntheticTensor(name: "q8_0", dims: [32, 2], type: 8, data: q8Data),
    SyntheticTensor(name: "q4_0", dims: [32], type: 2, data: q4_0Data),
    SyntheticTensor(name: "q4_1", dims: [32, 1], type: 3, data: q4_1Data),
  ]
}

func everyMetadataType() -> [(String, (inout Bytes) -> Void)] {
  [
    (
      "u8",
      {
        $0.u32(0)
        $0.u8(200)
      }
    ),
    (
      "i8",
      {
        $0.u32(1)
        $0.int(Int8(-5))
      }
    ),
    (
      "u16",
      {
        $0.u32(2)
        $0.int(UInt16(60000))
      }
    ),
    (
      "i16",
      {
        $0.u32(3)
        $0.int(Int16(-30000))
      }
    ),
    (
      "u32",
      {
        $0.u32(4)
        $0.u32(4_000_000_000)
      }
    ),
    (
      "i32",
      {
        $0.u32(5)
        $0.int(Int32(-7))
      }
    ),
    (
      "f32",
      {
        $0.u32(6)
        $0.f32(1.5)
      }
    ),
    (
      "bool",
      {
        $0.u32(7)
        $0.u8(1)
      }
    ),
    (
      "string",
      {
        $0.u32(8)
        $0.string("héllo ✓")
      }
    ),
    (
      "u64",
      {
        $0.u32(10)
        $0.u64(1 << 40)
      }
    ),
    (
      "i64",
      {
        $0.u32(11)
        $0.int(Int64(-1) << 40)
      }
    ),
    (
      "f64",
      {
        $0.u32(12)
        $0.f64(-0.25)
      }
    ),
    (
      "strings",
      {
        $0.u32(9)
        $0.u32(8)
        $0.u64(2)
        $0.string("a")
        $0.string("b c")
      }
    ),
    (
      "ints",
      {
        $0.u32(9)
        $0.u32(5)
        $0.u64(3)
        $0.int(Int32(1))
        $0.int(Int32(-2))
        $0.int(Int32(3))
      }
    ),
    (
      "floats",
      {
        $0.u32(9)
        $0.u32(6)
        $0.u64(2)
        $0.f32(0.5)
        $0.f32(-1)
      }
    ),
    (
      "nested",
      {
        $0.u32(9)
        $0.u32(9)
        $0.u64(2)
        $0.u32(4)
        $0.u64(2)
        $0.u32(1)
        $0.u32(2)
        $0.u32(8)
        $0.u64(1)
        $0.string("x")
      }
    ),
    (
      "empty",
      {
        $0.u32(9)
        $0.u32(0)
        $0.u64(0)
      }
    ),
    (
      "general.alignment",
      {
        $0.u32(4)
        $0.u32(32)
      }
    ),
  ]
}

@Suite struct GGUFSyntheticTests {
  @Test func metadataOfEveryType() throws {
    let path = try writeTemporary(makeGGUF(metadata: everyMetadataType()), name: "meta.gguf")
    let file = try GGUFFile(path: path)
    #expect(file.version == 3)
    #expect(file.metadataKeys.first == "u8")
    #expect(try file.int("u8") == 200)
    #expect(try file.int("i8") == -5)
    #expect(try file.int("u16") == 60000)
    #expect(try file.int("i16") == -30000)
    #expect(try file.int("u32") == 4_000_000_000)
    #expect(try file.int("i32") == -7)
    #expect(try file.float("f32") == 1.5)
    #expect(try file.bool("bool") == true)
    #expect(try file.string("string") == "héllo ✓")
    #expect(try file.int("u64") == 1 << 40)
    #expect(try file.int("i64") == -(1 << 40))
    #expect(try file.float("f64") == -0.25)
    #expect(try file.strings("strings") == ["a", "b c"])
    #expect(try file.ints("ints") == [1, -2, 3])
    #expect(try file.floats("floats") == [0.5, -1])
    #expect(
      file.value("nested") == .array([.array([.uint32(1), .uint32(2)]), .array([.string("x")])]))
    #expect(try file.array("empty").isEmpty)
    #expect(file.value("u8") == .uint8(200))
    #expect(file.value("i64") == .int64(-1 << 40))
    #expect(file.alignment == 32)
    #expect(file.tensors.isEmpty)
    // Typed accessors name the key and what was expected.
    let missing = #expect(throws: ModelError.self) { try file.string("nope") }
    #expect(missing?.key == "nope" && missing?.file == path)
    let wrong = #expect(throws: ModelError.self) { try file.string("u8") }
    #expect(wrong?.message.contains("expected a string") == true)
    #expect(throws: ModelError.self) { try file.strings("ints") }
  }

  @Test func dequantizesEveryTensorType() throws {
    let path = try writeTemporary(makeGGUF(tensors: syntheticTensors()), name: "t.gguf")
    let file = try GGUFFile(path: path)
    #expect(file.tensors.map(\.name) == ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1"])
    let f32 = try file.tensor("f32")
    #expect(f32.shape == [2, 3])
    #expect(f32.array(of: Float.self) == [1, 2, 3, 4, 5, 6])
    #expect(try file.tensor("f16").array(of: Float.self) == f16Expected)
    #expect(try file.tensor("bf16").array(of: Float.self) == [1, -3])
    let q8 = try file.tensor("q8_0")
    #expect(q8.shape == [2, 32])
    #expect(q8.array(of: Float.self) == q8Expected)
    #expect(try file.tensor("q4_0").array(of: Float.self) == q4_0Expected)
    let q41 = try file.tensor("q4_1")
    #expect(q41.shape == [1, 32])
    #expect(q41.array(of: Float.self) == q4_1Expected)
    #expect(try file.rows("q8_0", 1..<2).array(of: Float.self) == Array(q8Expected[32...]))
    #expect(file.info("q8_0")?.dimensions == [32, 2])
    #expect(file.info("q8_0")?.byteCount == 68)
    let absent = #expect(throws: ModelError.self) { try file.tensor("nope") }
    #expect(absent?.tensor == "nope")
    #expect(throws: ModelError.self) { try file.rows("q8_0", 1..<3) }
  }

  @Test func customAlignment() throws {
    var meta = everyMetadataType().filter { $0.0 != "general.alignment" }
    meta.append(
      (
        "general.alignment",
        {
          $0.u32(4)
          $0.u32(64)
        }
      ))
    let path = try writeTemporary(
      makeGGUF(metadata: meta, tensors: syntheticTensors(), alignment: 64), name: "a.gguf")
    let file = try GGUFFile(path: path)
    #expect(file.alignment == 64)
    #expect(file.dataOffset % 64 == 0)
    #expect(try file.tensor("q4_1").array(of: Float.self) == q4_1Expected)
  }

  /// Every malformed file throws a `ModelError` naming the file (and the key or tensor).
  @Test func malformedFiles() throws {
    let good = makeGGUF(metadata: everyMetadataType(), tensors: syntheticTensors())
    var cases: [(String, [UInt8], String)] = []
    cases.append(("empty", [], "truncated"))
    cases.append(("bad magic", Array("GGUG".utf8) + good.dropFirst(4), "bad magic"))
    var v4 = good
    v4[4] = 4
    cases.append(("version 4", v4, "unsupported GGUF version 4"))
    for cut in [6, 20, 40, 100, good.count / 2, good.count - 40] {
      cases.append(("truncated at \(cut)", Array(good.prefix(cut)), ""))
    }
    // Absurd counts.
    var b = Bytes()
    b.data = Array("GGUF".utf8)
    b.u32(3)
    b.u64(UInt64.max)
    b.u64(0)
    cases.append(("tensor count", b.data, "tensor count"))
    b = Bytes()
    b.data = Array("GGUF".utf8)
    b.u32(3)
    b.u64(0)
    b.u64(1 << 60)
    cases.append(("metadata count", b.data, "metadata count"))
    b = Bytes()
    b.data = Array("GGUF".utf8)
    b.u32(3)
    b.u64(0)
    b.u64(1)
    b.u64(1 << 62)
    cases.append(("key length", b.data + [UInt8](repeating: 0, count: 16), "declares"))
    cases.append(
      (
        "string length",
        makeGGUF(metadata: [
          (
            "s",
            {
              $0.u32(8)
              $0.u64(UInt64.max)
            }
          )
        ]), "declares"
      ))
    cases.append(
      (
        "array length",
        makeGGUF(metadata: [
          (
            "a",
            {
              $0.u32(9)
              $0.u32(4)
              $0.u64(1 << 61)
            }
          )
        ]), "array declares"
      ))
    cases.append(
      (
        "unknown value type",
        makeGGUF(metadata: [
          (
            "x",
            {
              $0.u32(13)
              $0.u32(0)
            }
          )
        ]),
        "unknown value type"
      ))
    cases.append(
      (
        "bad bool",
        makeGGUF(metadata: [
          (
            "x",
            {
              $0.u32(7)
              $0.u8(2)
            }
          )
        ]), "bool"
      ))
    cases.append(
      (
        "bad alignment",
        makeGGUF(metadata: [
          (
            "general.alignment",
            {
              $0.u32(4)
              $0.u32(24)
            }
          )
        ]),
        "power of two"
      ))
    var deep: (inout Bytes) -> Void = {
      $0.u32(9)
      $0.u32(9)
      $0.u64(1)
    }
    for _ in 0..<20 {
      let inner = deep
      deep = {
        inner(&$0)
        $0.u32(9)
        $0.u64(1)
      }
    }
    cases.append(("deep nesting", makeGGUF(metadata: [("d", deep)]), ""))
    func tensorCase(_ name: String, _ t: SyntheticTensor, _ expect: String) {
      cases.append((name, makeGGUF(tensors: [t]), expect))
    }
    tensorCase(
      "unknown type", SyntheticTensor(name: "w", dims: [4], type: 99, data: []),
      "unknown tensor type 99")
    tensorCase(
      "rank 5", SyntheticTensor(name: "w", dims: [1, 1, 1, 1, 1], type: 0, data: [0, 0, 0, 0]),
      "dimensions")
    tensorCase(
      "overflow", SyntheticTensor(name: "w", dims: [1 << 31, 1 << 31, 1 << 31], type: 0, data: []),
      "overflow")
    tensorCase(
      "past end", SyntheticTensor(name: "w", dims: [1000], type: 0, data: [0, 0, 0, 0]),
      "past the end")
    tensorCase(
      "block size", SyntheticTensor(name: "w", dims: [31], type: 8, data: q8Data), "block size")
    var misaligned = makeGGUF(tensors: [
      SyntheticTensor(name: "w", dims: [1], type: 0, data: [0, 0, 0, 0])
    ])
    // The offset field is the last 8 bytes of the tensor info, before the data padding.
    if let at = findBytes(misaligned, Array("w".utf8)) { misaligned[at + 1 + 4 + 8 + 4] = 4 }
    cases.append(("misaligned", misaligned, "alignment"))
    var duplicate = makeGGUF(metadata: [
      (
        "k",
        {
          $0.u32(0)
          $0.u8(1)
        }
      ),
      (
        "k",
        {
          $0.u32(0)
          $0.u8(2)
        }
      ),
    ])
    cases.append(("duplicate key", duplicate, "duplicate"))
    duplicate = []

    for (name, bytes, expected) in cases {
      let path = try writeTemporary(bytes, name: "bad.gguf")
      let error = #expect(throws: ModelError.self, "\(name)") { _ = try GGUFFile(path: path) }
      #expect(error?.file == path, "\(name)")
      if !expected.isEmpty {
        #expect(error?.message.contains(expected) == true, "\(name): \(String(describing: error))")
      }
    }
    let missing = #expect(throws: ModelError.self) { _ = try GGUFFile(path: "/nonexistent/x.gguf") }
    #expect(missing?.file == "/nonexistent/x.gguf")
  }

  @Test func unsupportedTypeIsAnErrorOnRead() throws {
    let t = SyntheticTensor(
      name: "k", dims: [256], type: 12, data: [UInt8](repeating: 0, count: 144))
    let path = try writeTemporary(makeGGUF(tensors: [t]), name: "k.gguf")
    let file = try GGUFFile(path: path)
    #expect(file.info("k")?.type.name == "Q4_K")
    let error = #expect(throws: ModelError.self) { try file.tensor("k") }
    #expect(error?.tensor == "k" && error?.file == path)
  }
}

func findBytes(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
  guard needle.count <= haystack.count else { return nil }
  for i in 0...(haystack.count - needle.count)
  where haystack[i..<(i + needle.count)].elementsEqual(needle) {
    // Skip matches inside the "GGUF" magic.
    if i >= 24 { return i }
  }
  return nil
}

@Suite struct SmolLM2GGUFTests {
  @Test func headerMetadataAndTensors() throws {
    let path = try modelFile("smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
    let file = try GGUFFile(path: path)
    #expect(file.version == 3)
    #expect(file.architecture == "llama")
    #expect(try file.int("llama.block_count") == 30)
    #expect(try file.int("llama.embedding_length") == 576)
    #expect(try file.int("llama.attention.head_count") == 9)
    #expect(try file.int("llama.attention.head_count_kv") == 3)
    #expect(try file.int("llama.feed_forward_length") == 1536)
    #expect(try file.float("llama.rope.freq_base") == 100_000)
    #expect(abs(try file.float("llama.attention.layer_norm_rms_epsilon") - 1e-5) < 1e-9)
    #expect(try file.strings("tokenizer.ggml.tokens").count == 49152)
    #expect(try file.strings("tokenizer.ggml.merges").count == 48900)
    #expect(try file.string("tokenizer.ggml.pre") == "smollm")
    #expect(file.tensors.count == 272)
    #expect(file.info("output.weight") == nil)
    let counts = Dictionary(grouping: file.tensors, by: \.type.name).mapValues(\.count)
    #expect(counts == ["Q8_0": 1, "Q4_1": 210, "F32": 61])
    #expect(file.info("token_embd.weight")?.shape == [49152, 576])
    #expect(file.info("token_embd.weight")?.type == .q8_0)
    #expect(file.info("blk.0.ffn_down.weight")?.shape == [576, 1536])
    #expect(file.info("blk.0.ffn_gate.weight")?.shape == [1536, 576])
    let parameters = file.tensors.reduce(0) { $0 + $1.elementCount }
    #expect(parameters == 134_515_008)

    let norm = try file.tensor("blk.0.attn_norm.weight")
    #expect(norm.shape == [576])
    let q = try file.tensor("blk.0.attn_q.weight")
    #expect(q.shape == [576, 576])
    let k = try file.tensor("blk.0.attn_k.weight")
    #expect(k.shape == [192, 576])
    let embedding = try file.rows("token_embd.weight", 1000..<1004)
    #expect(embedding.shape == [4, 576])
    for t in [norm, q, k, embedding] {
      let values = t.doubles
      #expect(values.allSatisfy { $0.isFinite })
      #expect(values.contains { $0 != 0 })
      #expect(values.allSatisfy { abs($0) < 100 })
    }
  }
}

@Test func invalidUTF8StringIsAnError() throws {
  let path = try writeTemporary(
    makeGGUF(metadata: [
      (
        "s",
        {
          $0.u32(8)
          $0.u64(2)
          $0.u8(0xC3)
          $0.u8(0x28)
        }
      )
    ]),
    name: "utf8.gguf")
  let error = #expect(throws: ModelError.self) { _ = try GGUFFile(path: path) }
  #expect(error?.key == "s" && error?.message.contains("UTF-8") == true)
}
