import Foundation
import Testing

/// Malformed files of the kinds users and tools produce (truncated downloads, absurd sizes,
/// deep nesting): every tool exits non-zero with one line naming the file and what is wrong,
/// never a signal or an attempt to allocate what cannot fit (issue R).
@Suite struct MalformedInputTests {
  /// Runs `tool arguments` and checks a clean failure: status 1 or 64, one line of stderr that
  /// holds every one of `expected`.
  func expectCleanFailure(
    _ tool: String, _ arguments: [String], environment: [String: String] = [:],
    _ expected: [String]
  ) throws {
    let r = try runTool(tool, arguments, environment: environment)
    #expect(r.status == 1 || r.status == 64, "\(tool) \(arguments): status \(r.status)")
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.count == 1 || r.status == 64, "\(tool) \(arguments): \(r.stderr)")
    for text in expected {
      #expect(r.stderr.contains(text), "\(tool) \(arguments): \(r.stderr)")
    }
  }

  func write(_ text: String, _ name: String, in dir: URL) throws -> String {
    let url = dir.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
  }

  @Test func irTextWithAbsurdSizesOrNesting() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let depth = 100_000
    let deep = try write(
      "graph @g() -> (y: f32[]) {\n  %y = constant {value = "
        + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        + "} : f32[]\n  return %y\n}\n", "deep.ir", in: dir)
    let iota = try write(
      "graph @g() -> (y: i64[9223372036854775807]) {\n"
        + "  %y = iota {axis = 0} : i64[9223372036854775807]\n  return %y\n}\n", "iota.ir", in: dir)
    let wide = try write(
      "graph @g(%x: f32[4611686018427387904, 4]) -> () {\n  return\n}\n", "wide.ir", in: dir)
    let cube = try write(
      "graph @g(%x: f32[4294967296, 4294967296, 16]) -> () {\n  return\n}\n", "cube.ir", in: dir)
    let cases: [(String, [String])] = [
      (deep, ["deep.ir:2:", "nested more than 256 deep"]),
      (iota, ["iota.ir:1:", "larger than 2⁶³−1 bytes"]),
      (wide, ["wide.ir:1:17:", "larger than 2⁶³−1 bytes"]),
      (cube, ["cube.ir:1:17:", "larger than 2⁶³−1 bytes"]),
    ]
    for (file, expected) in cases {
      try expectCleanFailure("scalpel-opt", [file], expected)
      try expectCleanFailure("scalpel", ["run", file, "--output-dir", dir.path], expected)
    }
  }

  @Test func tensorsLargerThanTheMemoryLimit() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let constant = try write(
      "graph @g() -> (y: i1[9223372036854775807]) {\n"
        + "  %y = constant {value = 1} : i1[9223372036854775807]\n  return %y\n}\n", "c.ir", in: dir
    )
    let iota = try write(
      "graph @g() -> (y: f32[1000000]) {\n  %y = iota {axis = 0} : f32[1000000]\n  return %y\n}\n",
      "iota.ir", in: dir)
    for backend in ["jit", "interpreter"] {
      let run = ["run", "--output-dir", dir.path, "--backend", backend]
      try expectCleanFailure(
        "scalpel", run + [constant], ["c.ir:2:3:", "more than the memory limit"])
      try expectCleanFailure(
        "scalpel", run + [iota, "--max-memory", "1M"],
        ["iota.ir:2:3:", "3.8 MiB, more than the memory limit of 1.0 MiB"])
      let ok = try runTool("scalpel", run + [iota, "--max-memory", "8M"])
      #expect(ok.status == 0, "\(ok.stderr)")
      let fromEnvironment = try runTool(
        "scalpel", run + [iota], environment: ["SCALPEL_MAX_MEMORY": "100K"])
      #expect(fromEnvironment.status == 1)
      #expect(fromEnvironment.stderr.contains("memory limit of 100.0 KiB"), "\(fromEnvironment)")
    }
    try expectCleanFailure(
      "scalpel", ["run", iota, "--output-dir", dir.path, "--max-memory", "lots"],
      ["--max-memory 'lots' is not a size"])
  }

  /// `SCALPEL_JIT_TARGET` picks the JIT's instruction set for every command: a narrower level
  /// gives the same results, an unknown name a clear error.
  @Test func jitTargetFromTheEnvironment() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let ir = try write(
      "graph @g() -> (y: f32[1000]) {\n  %i = iota {axis = 0} : f32[1000]\n"
        + "  %y = mul %i, %i : f32[1000]\n  return %y\n}\n", "g.ir", in: dir)
    var outputs: [Data] = []
    for target in ["host", "x86-64-v2"] {
      let out = dir.appendingPathComponent(target)
      let run = try runTool(
        "scalpel", ["run", ir, "--output-dir", out.path],
        environment: ["SCALPEL_JIT_TARGET": target])
      #expect(run.status == 0, "\(run)")
      outputs.append(try Data(contentsOf: out.appendingPathComponent("y.npy")))
    }
    #expect(outputs[0] == outputs[1])
    try expectCleanFailure(
      "scalpel", ["run", ir, "--output-dir", dir.path], environment: ["SCALPEL_JIT_TARGET": "avx9"],
      ["SCALPEL_JIT_TARGET must be one of", "'avx9'"])
  }

  @Test func npyWithAnAbsurdHeader() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let ir = try write(
      "graph @g(%x: f32[2]) -> (y: f32[2]) {\n  %y = neg %x : f32[2]\n  return %y\n}\n", "g.ir",
      in: dir)
    var header = Array(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }".utf8)
    while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
    header.append(0x0A)
    let npy = dir.appendingPathComponent("x.npy")
    try Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.count), 0] + header).write(
      to: npy)
    try expectCleanFailure(
      "scalpel", ["run", ir, "--input", "x=\(npy.path)", "--output-dir", dir.path],
      ["x.npy", "too many elements"])
  }

  @Test func modelFilesWithAbsurdSizes() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // A GGUF header claiming 2⁶² tensors in a 24-byte file.
    var gguf = Array("GGUF".utf8) + [3, 0, 0, 0]
    gguf += [0, 0, 0, 0, 0, 0, 0, 0x40] + [UInt8](repeating: 0, count: 8)
    let ggufPath = dir.appendingPathComponent("bad.gguf")
    try Data(gguf).write(to: ggufPath)
    try expectCleanFailure("scalpel", ["inspect", ggufPath.path], ["bad.gguf", "tensor count"])

    // A model directory whose config.json multiplies past 2⁶³ parameters.
    let model = dir.appendingPathComponent("model")
    try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
    let header = Array(#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#.utf8)
    let safetensors = [UInt8(header.count)] + [UInt8](repeating: 0, count: 7) + header
    try Data(safetensors + [UInt8](repeating: 0, count: 8)).write(
      to: model.appendingPathComponent("model.safetensors"))
    _ = try write(
      #"{"model_type": "llama", "vocab_size": 1099511627776, "hidden_size": 1073741824, "#
        + #""num_hidden_layers": 1048576, "num_attention_heads": 2, "#
        + #""intermediate_size": 1099511627776}"#, "config.json", in: model)
    try expectCleanFailure(
      "scalpel", ["inspect", model.path], ["config.json", "more than 2⁶³−1 parameters"])

    // A tokenizer.json nested a hundred thousand levels deep.
    _ = try write(
      String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
      "tokenizer.json", in: model)
    try expectCleanFailure(
      "scalpel", ["tokenize", "--model", model.path, "--text", "hi"], ["tokenizer.json"])
  }

  @Test func modelWeightsLargerThanTheMemoryLimit() throws {
    let model = try tinyCheckpoint()
    defer { try? FileManager.default.removeItem(at: model.deletingLastPathComponent()) }
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try expectCleanFailure(
      "scalpel",
      [
        "logits", "--model", model.path, "--text", "hi", "--out", dir.path + "/l.npy",
        "--max-memory", "1K",
      ], ["model.safetensors", "more than the memory limit of 1.0 KiB"])
  }
}
