import IR
import Testing

@testable import Codegen

// FileCheck-style checks on the emitted LLVM IR of key kernels: `CHECK:` patterns must appear
// in order, `CHECK-NOT:` patterns must not appear between the neighbouring matches.

/// The text of `define … @name(` up to its closing brace.
/// Lanes of the JIT's vector loops on this host for f32 and f64: the JIT sizes vectors to the
/// host's registers (16 and 8 with AVX-512, 8 and 4 with AVX2, 4 and 2 with SSE only).
let hostLanes: (f32: Int, f64: Int) = {
  let bytes = (try? JIT.host().vectorBytes) ?? 16
  return (bytes / 4, bytes / 8)
}()

func function(_ name: String, in module: String) -> String {
  guard let start = module.range(of: "define i32 @\(name)(") else { return "" }
  let rest = module[start.lowerBound...]
  guard let end = rest.range(of: "\n}\n") else { return String(rest) }
  return String(rest[..<end.upperBound])
}

func fileCheck(
  _ text: String, _ script: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
  var position = text.startIndex
  var forbidden: [String] = []
  func checkForbidden(upTo end: String.Index) {
    for pattern in forbidden where text[position..<end].contains(pattern) {
      Issue.record("CHECK-NOT: '\(pattern)' found\n\(text)", sourceLocation: sourceLocation)
    }
    forbidden = []
  }
  for line in script.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
    if line.hasPrefix("CHECK-NOT:") {
      forbidden.append(line.dropFirst(10).trimmingCharacters(in: .whitespaces))
    } else if line.hasPrefix("CHECK:") {
      let pattern = line.dropFirst(6).trimmingCharacters(in: .whitespaces)
      guard let match = text[position...].range(of: pattern) else {
        Issue.record("CHECK: '\(pattern)' not found\n\(text)", sourceLocation: sourceLocation)
        return
      }
      checkForbidden(upTo: match.lowerBound)
      position = match.upperBound
    }
  }
  checkForbidden(upTo: text.endIndex)
}

func occurrences(of pattern: String, in text: String) -> Int {
  text.components(separatedBy: pattern).count - 1
}

@Test func fusedMultiplyAddChainIsOneVectorKernelWithFmuladd() throws {
  let b = GraphBuilder(name: "axpb")
  let x = b.parameter("x", TensorType(.f32, [64, 64]))
  let w = b.parameter("w", TensorType(.f32, [64, 64]))
  let c = b.parameter("c", TensorType(.f32, [64, 64]))
  let y = b.relu(b.add(b.mul(x, w), c))
  let g = try b.build(results: [("y", y)])
  let ir = try JIT.llvmIR(for: g)
  // One kernel (the fused region, node 0 of the fused graph) for mul, add and relu; 4096
  // elements are 256 vectors: no scalar tail.
  #expect(occurrences(of: "define i32 @node", in: ir) == 1)
  fileCheck(
    function("node0", in: ir),
    """
    CHECK: load <\(hostLanes.f32) x float>
    CHECK-NOT: store float
    CHECK: call <\(hostLanes.f32) x float> @llvm.fmuladd.v\(hostLanes.f32)f32
    CHECK: select <\(hostLanes.f32) x i1>
    CHECK: store <\(hostLanes.f32) x float>
    CHECK-NOT: @llvm.fmuladd.f32
    CHECK: ret i32 0
    """)
}

@Test func oddSizesGetAScalarTail() throws {
  let b = GraphBuilder(name: "odd")
  let x = b.parameter("x", TensorType(.f32, [6 * hostLanes.f32 + 4]))
  let g = try b.build(results: [("y", b.add(b.mul(x, x), x))])
  let ir = function("node0", in: try JIT.llvmIR(for: g))  // one fused region
  // Six full vectors, then the 4-element tail, which LLVM's loop vectorizer turns into one
  // <4 x float> step (on a host whose vectors are 4 wide, that is a seventh full vector).
  let tail = hostLanes.f32 > 4 ? "\nCHECK: @llvm.fmuladd.v4f32" : ""
  fileCheck(ir, "CHECK: @llvm.fmuladd.v\(hostLanes.f32)f32" + tail)
}

@Test func rowReductionKeepsFourVectorAccumulators() throws {
  let b = GraphBuilder(name: "rowsum")
  let x = b.parameter("x", TensorType(.f32, [8, 512]))
  let g = try b.build(results: [("s", b.sum(x, axes: [1]))])
  #expect(
    occurrences(
      of: "alloca <\(hostLanes.f32) x double>", in: try JIT.llvmIR(for: g, optimized: false)) == 4)
  let after = function("node0", in: try JIT.llvmIR(for: g))
  // f32 lanes widened to f64 accumulators; 512 is a multiple of 4 accumulators × the lanes
  // (at most 4 × 16): no scalar loads.
  fileCheck(
    after,
    """
    CHECK: load <\(hostLanes.f32) x float>
    CHECK: fpext <\(hostLanes.f32) x float>
    CHECK-NOT: load float,
    CHECK: shufflevector <\(hostLanes.f32) x double>
    CHECK: fptrunc double
    """)
  #expect(occurrences(of: "fadd <\(hostLanes.f32) x double>", in: after) >= 4)
}

@Test func columnReductionVectorizesOverOutputs() throws {
  let b = GraphBuilder(name: "colsum")
  let x = b.parameter("x", TensorType(.f64, [32, 64]))
  let g = try b.build(results: [("s", b.sum(x, axes: [0]))])
  fileCheck(
    function("node0", in: try JIT.llvmIR(for: g)),
    """
    CHECK: load <\(hostLanes.f64) x double>
    CHECK: fadd <\(hostLanes.f64) x double>
    CHECK: store <\(hostLanes.f64) x double>
    """)
}

@Test func softmaxOverTheLastAxisIsVectorCode() throws {
  let b = GraphBuilder(name: "sm")
  let x = b.parameter("x", TensorType(.f32, [4, 128]))
  let g = try b.build(results: [("p", b.softmax(x, axis: -1))])
  fileCheck(
    function("node0", in: try JIT.llvmIR(for: g)),
    """
    CHECK: load <\(hostLanes.f32) x float>
    CHECK: fcmp ogt <\(hostLanes.f32) x float>
    CHECK: fsub <\(hostLanes.f32) x float>
    CHECK: fadd <\(hostLanes.f32) x double>
    CHECK: fdiv <\(hostLanes.f32) x double>
    CHECK: store <\(hostLanes.f32) x float>
    """)
}

@Test func matmulIsABLASCallNotAKernel() throws {
  let b = GraphBuilder(name: "mm")
  let x = b.parameter("x", TensorType(.f32, [16, 32]))
  let w = b.parameter("w", TensorType(.f32, [32, 8]))
  let g = try b.build(results: [("y", b.matmul(x, w))])
  let exe = try JIT.compile(g, options: JITOptions(keepIR: true, memoryCache: false))
  #expect(exe.statistics.kernels == 0)
  #expect(exe.llvmIR?.unoptimized.contains("define") == false)
}

/// The FMA peak loop parses, compiles for this host's vector width and runs on one and two
/// threads (its number is for benchmarks; here only that it is a rate).
@Test func theFMAPeakLoopCompilesForTheHostAndRuns() throws {
  for threads in [1, 2] {
    let peak = try FMAPeak.measure(threads: threads, iterations: 100_000, rounds: 1)
    #expect(peak.isFinite && peak > 0, "\(threads) threads: \(peak)")
  }
  // The kernel at the other widths the JIT may use compiles too (it is only run on the host).
  let host = try JIT.hostTarget()
  for lanes in [4, 8] { _ = try FMAPeak.compile(lanes: lanes, accumulators: 12, host: host) }
}
