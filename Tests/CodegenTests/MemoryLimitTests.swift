import Codegen
import IR
import Runtime
import Testing

// The JIT refuses, at compile time, a memory plan larger than the limit, located at its
// largest buffer, instead of a run that tries to allocate it.

@Test func aPlanLargerThanTheMemoryLimitIsACompileError() throws {
  let b = GraphBuilder(name: "g")
  let big = TensorType(.f32, [1000, 1000])
  let y = b.exp(b.iota(axis: 0, big))
  let graph = try b.build(results: [("y", y)])
  var options = testOptions
  options.memoryLimit = MemoryLimit(bytes: 1_000_000)
  do {
    _ = try JIT.compile(graph, options: options)
    Issue.record("compiled without error")
  } catch {
    #expect(error.message.contains("more than the memory limit of 976.6 KiB"), "\(error)")
    #expect(error.message.contains("the largest is f32[1000,1000]"), "\(error)")
    #expect(error.location?.file.hasSuffix("MemoryLimitTests.swift") == true, "\(error)")
  }
  options.memoryLimit = MemoryLimit(bytes: 16_000_000)
  let out = try JIT.compile(graph, options: options).run(inputs: [:])
  #expect(out["y"]?.type == big)
}

@Test func aPlanPast63BitsSaturatesAndIsRefused() throws {
  let b = GraphBuilder(name: "g")
  let huge = TensorType(.i1, [Int.max])
  let graph = try b.build(results: [("y", b.constant(1, huge))])
  #expect(throws: CompileError.self) { _ = try JIT.compile(graph, options: testOptions) }
}
