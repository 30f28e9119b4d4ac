import Codegen
import Foundation
import IR
import Runtime
import Testing

// The executable API: raw buffers, caches, custom ops, the memory plan, concurrent runs.

func mlp() throws -> Graph {
  let b = GraphBuilder(name: "mlp")
  let x = b.parameter("x", TensorType(.f32, [4, 3]))
  let w = b.parameter("w", TensorType(.f32, [3, 5]))
  let bias = b.parameter("b", TensorType(.f32, [5]))
  let h = b.relu(b.add(b.matmul(x, w), bias))
  let t = b.tanh(b.mul(h, h))
  let s = b.softmax(t, axis: -1)
  return try b.build(results: [("p", s), ("h", h)])
}

@Test func rawBuffersRunWithoutCopies() throws {
  let g = try mlp()
  let exe = try JIT.compile(g, options: testOptions)
  let inputs = try randomInputs(g, seed: 7)
  let expected = try Interpreter().run(g, inputs: inputs)
  let x = try #require(inputs["x"]?.array(of: Float.self))
  let w = try #require(inputs["w"]?.array(of: Float.self))
  let bias = try #require(inputs["b"]?.array(of: Float.self))
  var p = [Float](repeating: 0, count: 20)
  var h = [Float](repeating: 0, count: 20)
  try x.withUnsafeBytes { px in
    try w.withUnsafeBytes { pw in
      try bias.withUnsafeBytes { pb in
        try p.withUnsafeMutableBytes { pp in
          try h.withUnsafeMutableBytes { ph in
            try exe.run(
              arguments: [px.baseAddress!, pw.baseAddress!, pb.baseAddress!],
              results: [pp.baseAddress!, ph.baseAddress!])
          }
        }
      }
    }
  }
  let got = try HostTensor(shape: [4, 5], p)
  #expect(got.isClose(to: try #require(expected["p"]), rtol: 1e-5, atol: 1e-6))
  #expect(throws: RuntimeError.self) { try exe.run(arguments: [], results: []) }
}

@Test func memoryCacheReturnsTheSameCode() throws {
  let g = try mlp()
  JIT.clearMemoryCache()
  let first = try JIT.compile(g)
  let second = try JIT.compile(g)
  #expect(first.statistics.source == .compiled)
  #expect(second.statistics.source == .memoryCache)
  let inputs = try randomInputs(g, seed: 3)
  #expect(try first.run(inputs: inputs) == second.run(inputs: inputs))
  JIT.clearMemoryCache()
}

@Test func diskCacheReloadsObjectCode() throws {
  let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("scalpel-jit-test-\(UInt32.random(in: 0...UInt32.max))")
  defer { try? FileManager.default.removeItem(at: directory) }
  var options = testOptions
  options.diskCache = directory
  let g = try mlp()
  let first = try JIT.compile(g, options: options)
  let second = try JIT.compile(g, options: options)
  #expect(first.statistics.source == .compiled)
  #expect(second.statistics.source == .diskCache)
  let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
  #expect(files.filter { $0.hasSuffix(".o") }.count == 1)
  try expectSameAsInterpreter(g, try randomInputs(g, seed: 5), options: options)
}

@Test func standardCacheDirectoryFollowsTheEnvironment() {
  #expect(
    JITOptions.standardCacheDirectory(environment: ["SCALPEL_CACHE": "/tmp/sc"]).path
      == "/tmp/sc/jit")
  #expect(
    JITOptions.standardCacheDirectory(environment: ["HOME": "/home/u"]).path
      == "/home/u/.cache/scalpel/jit")
}

/// y = 2x + 1, as a JIT-lowerable and interpretable custom op.
struct AffineOp: JITLowerableCustomOp, InterpretableCustomOp {
  var name: String { "affine" }
  var attributes: [(String, Attribute)] { [] }
  func resultType(operands: [TensorType]) throws(TypeError) -> TensorType { operands[0] }
  func evaluate(_ operands: [HostTensor], resultType: TensorType) throws -> HostTensor {
    try HostTensor(
      shape: resultType.shape, (operands[0].array(of: Double.self) ?? []).map { 2 * $0 + 1 })
  }
  func execute(
    operands: [UnsafeRawBufferPointer], operandTypes: [TensorType],
    result: UnsafeMutableRawBufferPointer, resultType: TensorType
  ) throws {
    let x = operands[0].assumingMemoryBound(to: Double.self)
    let y = result.assumingMemoryBound(to: Double.self)
    for i in 0..<resultType.count { y[i] = 2 * x[i] + 1 }
  }
}

/// A custom op the JIT cannot run.
struct OpaqueOp: CustomOp {
  var name: String { "opaque" }
  var attributes: [(String, Attribute)] { [] }
  func resultType(operands: [TensorType]) throws(TypeError) -> TensorType { operands[0] }
}

func customGraph(_ op: any CustomOp) throws -> Graph {
  let b = GraphBuilder(name: "custom")
  let x = b.parameter("x", TensorType(.f64, [3]))
  let v = b.emit(.custom(CustomOpBox(op)), [b.exp(x)], at: SourceLocation(file: "test", line: 1))
  return try b.build(results: [("y", b.add(v, x))])
}

@Test func customOpsRunThroughTheirHostKernel() throws {
  try expectSameAsInterpreter(
    try customGraph(AffineOp()), ["x": try HostTensor(shape: [3], [0.5, -1, 2])])
}

@Test func customOpWithoutLoweringIsACompileError() throws {
  let g = try customGraph(OpaqueOp())
  do {
    _ = try JIT.compile(g, options: testOptions)
    Issue.record("expected a compile error")
  } catch {
    #expect(error.message.contains("JITLowerableCustomOp"))
    #expect(error.op == "opaque")
  }
}

@Test func memoryPlanReusesBuffers() throws {
  // A chain of non-fusable steps (transposes): each intermediate dies after the next step.
  let b = GraphBuilder(name: "chain")
  var v = b.parameter("x", TensorType(.f32, [64, 64]))
  for _ in 0..<8 { v = b.transpose(b.exp(v), [1, 0]) }
  let g = try b.build(results: [("y", v)])
  let exe = try JIT.compile(g, options: testOptions)
  #expect(exe.statistics.unplannedBytes == 16 * 64 * 64 * 4)
  #expect(exe.statistics.arenaBytes <= 3 * 64 * 64 * 4)
  try expectSameAsInterpreter(g, try randomInputs(g, seed: 1))
}

@Test func concurrentRunsShareOneExecutable() async throws {
  let g = try mlp()
  let exe = try JIT.compile(g, options: testOptions)
  let inputs = try randomInputs(g, seed: 9)
  let expected = try exe.run(inputs: inputs)
  try await withThrowingTaskGroup(of: Bool.self) { group in
    for _ in 0..<8 { group.addTask { try exe.run(inputs: inputs) == expected } }
    for try await same in group { #expect(same) }
  }
}

@Test func cacheHitsReportTheirOwnSourceLocations() throws {
  func graph(line: Int) throws -> Graph {
    let b = GraphBuilder(name: "div")
    let x = b.parameter("x", TensorType(.i32, [2]))
    return try b.build(results: [("q", b.div(x, x, file: "user.swift", line: line))])
  }
  JIT.clearMemoryCache()
  defer { JIT.clearMemoryCache() }
  let inputs = ["x": try HostTensor(shape: [2], [Int32(1), 0])]
  for line in [10, 20] {
    let exe = try JIT.compile(try graph(line: line))
    do {
      _ = try exe.run(inputs: inputs)
      Issue.record("expected division by zero")
    } catch {
      #expect(error.location?.line == line, "\(error)")
    }
  }
}
