import Codegen
import IR
import Runtime
import TestSupport
import Testing

/// The x86-64 levels narrower than the host that this host runs: on an AVX-512 machine the
/// AVX2 and SSE kernels, on an AVX2 machine the SSE ones. Their lowering is otherwise only
/// exercised on CPUs that have nothing wider.
let narrowerTargets: [JITTarget] = {
  guard let features = try? JIT.host().features else { return [] }
  return JITTarget.runnable(hostFeatures: features).filter {
    $0 != .host && (try? JIT.host($0).vectorBytes) != (try? JIT.host().vectorBytes)
  }
}()

@Suite struct JITTargetTests {
  @Test func levelsNeedTheirFeatures() {
    let v2 = "+cx16,+popcnt,+sahf,+sse3,+sse4.1,+sse4.2,+ssse3"
    let v3 = v2 + ",+avx,+avx2,+bmi,+bmi2,+f16c,+fma,+lzcnt,+movbe"
    #expect(JITTarget.sse4.missingFeatures(hostFeatures: v2 + ",-avx").isEmpty)
    #expect(
      JITTarget.avx2.missingFeatures(hostFeatures: v2 + ",-avx2,+fma")
        == ["avx", "avx2", "bmi", "bmi2", "f16c", "lzcnt", "movbe"])
    #expect(JITTarget.runnable(hostFeatures: v2) == [.host, .sse4])
    #expect(JITTarget.runnable(hostFeatures: v3) == [.host, .avx2, .sse4])
    #expect(JITTarget.runnable(hostFeatures: "+sse2") == [.host])
  }

  @Test func aLevelNamesItsCPUAndWidth() throws {
    for target in narrowerTargets {
      let chosen = try JIT.host(target)
      #expect(chosen.cpu == target.rawValue && chosen.features.isEmpty)
      #expect(chosen.vectorBytes == (target == .avx2 ? 32 : 16))
    }
  }

  /// Every op case and a set of random graphs and gradients, compiled for each narrower level
  /// this host runs, against the interpreter; the kernels carry that level's vector width.
  @Test(arguments: narrowerTargets)
  func narrowerLevelsMatchTheInterpreter(_ target: JITTarget) throws {
    var options = testOptions
    options.target = target
    for c in opCases { try checkOpCase(c, options: options) }
    for seed in UInt64(0)..<24 {
      var generator = RandomGraphGenerator(seed: seed)
      let graph = generator.makeGraph(name: "random\(seed)", steps: 12)
      try expectSameAsInterpreter(
        graph, try randomInputs(graph, seed: seed), options: options, " (\(target.rawValue))")
    }
    var compared = 0
    for seed in UInt64(1000)..<1030 {
      guard let graded = try randomGradientGraph(seed: seed) else { continue }
      try expectSameAsInterpreter(
        graded, try randomInputs(graded, seed: seed), options: options, " (\(target.rawValue))")
      compared += 1
    }
    #expect(compared >= 15, "only \(compared) gradient graphs compared")

    // An f32 softmax over 1000 columns: its loops use the level's lanes, nothing wider. A named
    // level is compiled from its name alone (no host features), so this IR is the same on every
    // host that runs the level.
    let b = GraphBuilder(name: "softmax_width")
    let x = b.parameter("x", TensorType(.f32, [4, 1000]))
    let graph = try b.build(results: [("y", b.softmax(x, axis: -1))])
    var keep = options
    keep.keepIR = true
    let module = try #require(try JIT.compile(graph, options: keep).llvmIR?.optimized)
    let lanes = try JIT.host(target).vectorBytes / 4
    #expect(module.contains("<\(lanes) x float>"), "no <\(lanes) x float> for \(target)")
    for wider in [lanes * 2, lanes * 4] where wider <= 16 {
      #expect(!module.contains("<\(wider) x float>"), "<\(wider) x float> for \(target)")
    }
  }
}
