import ArgumentParser
import Codegen
import Foundation
import GraphView
import IR
import Models
import Passes
import Runtime

#if canImport(Glibc)
  import Glibc
#endif

/// `scalpel bench train-step`: one training step of a Llama model, timed like
/// scripts/bench/pytorch_train_step.py (batch 8 × 128, random tokens, causal-LM loss).
struct BenchTrainStepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train-step",
    abstract: "Time a Llama training step (forward, backward, update); print JSON.",
    discussion: """
      The step is grad + adamw (lr 1e-4, as the PyTorch script; --optimizer sgd for plain \
      gradient descent). With --surgery the loss first gets sink-divergence{lambda=300} \
      (one harmful and one \
      safe 128-token sequence). GFLOP/s uses 6·parameters·tokens, as the PyTorch script; \
      with the JIT, fraction_of_fma_peak divides it by the host's measured FMA peak on the \
      same threads (a loop of independent vector FMAs). \
      --weights starts from given weights (the same ones the PyTorch script loads): a \
      .safetensors file with Hugging Face names, or a model (smollm2, a .gguf, a model \
      directory) whose dequantized weights and config are used. With --profile the JSON gets \
      "profile" (time per op kind) and "profile_kernels" (the slowest kernels).
      """)

  enum Optimizer: String, ExpressibleByArgument, CaseIterable { case adamw, sgd }

  enum Config: String, ExpressibleByArgument, CaseIterable {
    case tiny, smollm2
    var llama: LlamaConfig {
      switch self {
      case .tiny: .tiny
      case .smollm2:
        LlamaConfig(
          vocabulary: 49152, dimension: 576, layers: 30, heads: 9, kvHeads: 3, hidden: 1536,
          ropeBase: 100000, tiedEmbeddings: true)
      }
    }
  }

  @Option(help: "The model: tiny (PERFORMANCE.md) or smollm2 (135M).") var config: Config = .tiny
  @Flag(help: "Add the Surgery sink-divergence penalty before grad.") var surgery = false
  @Option(help: "The backend: jit or interpreter.") var backend: BackendChoice = .jit
  @Option(help: "The update: adamw or sgd.") var optimizer: Optimizer = .adamw
  @Option(help: "Threads for the JIT (default: all cores).") var threads: Int?
  @Option(help: "Timed steps (at least 1; report medians over at least 20).") var steps = 20
  @Option(help: "Untimed steps first.") var warmup = 3
  @Option(help: "Sequences per batch.") var batch = 8
  @Option(help: "Tokens per sequence.") var tokens = 128
  @Option(
    help: ArgumentHelp(
      "Initial weights: a .safetensors file (Hugging Face names) or a model (smollm2, a .gguf).",
      valueName: "PATH"))
  var weights: String?
  @Flag(help: "Time per op kind and per kernel (JIT only): in the JSON and on standard error.")
  var profile = false
  @Flag(help: "JIT: large matmuls on OpenBLAS's own threads instead of row blocks on the pool.")
  var blasThreads = false
  @Option(
    help: ArgumentHelp(
      "Write the step graph's viewer page here (DIR/step-graph.html) before timing.",
      valueName: "DIR"))
  var dumpGraphs: String?

  func run() throws {
    guard steps >= 1, warmup >= 0, batch >= 1, tokens >= 2 else {
      throw ValidationError("--steps, --batch must be ≥ 1, --warmup ≥ 0, --tokens ≥ 2")
    }
    let (llama, initial) = try Self.startingPoint(config.llama, weights: weights)
    let model = Llama(llama)
    let forward = try model.trainingGraph(batch: batch, tokens: tokens)
    let weightNames = forward.weights.map(\.name)
    var pipeline = surgery ? "sink-divergence{lambda=300}," : ""
    pipeline += "grad{of=loss wrt=\(weightNames.joined(separator: ","))},"
    pipeline += optimizer == .adamw ? "adamw" : "sgd{lr=0.0001}"
    let (history, graph, _) = try PassHistory.run(try PassManager(pipeline: pipeline), on: forward)
    if let dumpGraphs {
      try writeGraphPage(
        history, title: "\(config.rawValue) step graph\(surgery ? ", Surgery" : "")",
        to: dumpGraphs + "/step-graph.html")
    }

    var inputs = try Self.inputs(graph, vocabulary: llama.vocabulary, batch: batch)
    if let initial, let weights {
      for name in weightNames {
        guard let tensor = initial[name], let p = graph.parameter(named: name) else {
          throw ValidationError("\(weights): no weight '\(name)' (the \(config.rawValue) model's)")
        }
        guard tensor.type == p.type else {
          throw ValidationError(
            "\(weights): weight '\(name)' is \(tensor.type), the graph expects \(p.type)")
        }
        inputs[name] = tensor
      }
    }
    let parameterCount = weightNames.compactMap { graph.parameter(named: $0)?.type.count }
      .reduce(0, +)

    var compileCold = 0.0
    var compileCached = 0.0
    var compileDisk: Double? = nil
    let stepTimes: [Double]
    let losses: [Double]
    var kernels: Int? = nil
    var arena: Int? = nil
    var arenaPeak: (node: String, live: [(name: String, bytes: Int)]) = ("", [])
    var timings: [StepTiming] = []
    var kernelTimings: [StepTiming] = []
    var compilePhases: [String: Double] = [:]
    switch backend {
    case .interpreter:
      let exe = try InterpreterBackend().prepare(graph)
      (stepTimes, losses) = try Self.time(exe, steps: steps, warmup: warmup, inputs: &inputs)
    case .jit:
      if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
      var options = JITOptions(profile: profile)
      options.threads = threads ?? JITOptions.hostThreads
      options.target = try BackendChoice.jitTarget()
      options.splitMatmuls = !blasThreads
      JIT.clearMemoryCache()
      let cold = try JIT.compile(graph, options: options)
      compileCold = seconds(cold.statistics.duration)
      compileCached = seconds(try JIT.compile(graph, options: options).statistics.duration)
      // The disk cache: store the object once, then compile again from it in a fresh key space.
      let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("scalpel-bench-\(getpid())")
      defer { try? FileManager.default.removeItem(at: directory) }
      var diskOptions = options
      diskOptions.memoryCache = false
      diskOptions.diskCache = directory
      _ = try JIT.compile(graph, options: diskOptions)
      compileDisk = seconds(try JIT.compile(graph, options: diskOptions).statistics.duration)
      kernels = cold.statistics.kernels
      for (name, d) in cold.statistics.phases {
        compilePhases[name] = Self.round(seconds(d), 3)
      }
      arena = cold.statistics.arenaBytes
      arenaPeak = cold.statistics.arenaPeak
      (stepTimes, losses) = try Self.time(cold, steps: steps, warmup: warmup, inputs: &inputs)
      timings = cold.profile()
      kernelTimings = cold.profileBySteps()
    }

    let sorted = stepTimes.sorted()
    let median =
      sorted.count % 2 == 1
      ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    let flops = 6.0 * Double(parameterCount) * Double(batch * tokens)
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    var report: [String: Any] = [
      "framework": "scalpel \(backend.rawValue)", "config": config.rawValue, "surgery": surgery,
      "optimizer": optimizer.rawValue,
      "threads": backend == .jit ? (threads ?? JITOptions.hostThreads) : 1,
      "batch": batch, "tokens": tokens, "parameters": parameterCount, "steps": steps,
      "median_ms": Self.round(median * 1000), "min_ms": Self.round((sorted.first ?? 0) * 1000),
      "gflops_per_s": Self.round(flops / median / 1e9, 1),
      "peak_rss_mib": Self.round(Double(usage.ru_maxrss) / 1024, 1),
      "graph_nodes": graph.nodes.count,
      "loss_first": Self.round(losses.first ?? .nan, 4),
      "loss_last": Self.round(losses.last ?? .nan, 4),
      "matmul_threads": blasThreads ? "openblas" : "pool",
      "weights": weights ?? "random",
      "host": try Self.host(),
    ]
    if backend == .jit {
      report["compile_cold_s"] = Self.round(compileCold, 3)
      report["compile_cached_s"] = Self.round(compileCached, 6)
      report["compile_disk_cache_s"] = compileDisk.map { Self.round($0, 3) }
      report["kernels"] = kernels
      report["compile_phases_s"] = compilePhases
      report["arena_mib"] = arena.map { Self.round(Double($0) / 1_048_576, 1) }
      // The measured FMA peak of the same threads (Codegen's FMAPeak), after the timed steps.
      let peak = try FMAPeak.measure(threads: threads ?? JITOptions.hostThreads)
      report["fma_peak_gflops_per_s"] = Self.round(peak, 1)
      report["fraction_of_fma_peak"] = Self.round(flops / median / 1e9 / peak, 3)
      report["arena_peak"] = [
        "node": arenaPeak.node,
        "largest_live_mib": arenaPeak.live.map {
          [$0.name: Self.round(Double($0.bytes) / 1_048_576, 1)]
        },
      ]
    }
    let runs = Double(steps + warmup)
    let profiled = max(timings.reduce(0) { $0 + $1.seconds }, .leastNonzeroMagnitude)
    if profile && backend == .jit {
      report["profile"] = Self.profileJSON(timings, runs: runs, total: profiled)
      report["profile_kernels"] = Self.profileJSON(
        Array(kernelTimings.prefix(40)), runs: runs, total: profiled)
    }
    let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
    if profile {
      var lines = Self.profileText(
        "per-step profile by op kind", timings, runs: runs, total: profiled)
      lines += Self.profileText(
        "slowest kernels", Array(kernelTimings.prefix(30)), runs: runs, total: profiled)
      FileHandle.standardError.write(Data(lines.utf8))
    }
  }

  /// The model's config and initial weights: from `path` when given (a .safetensors file keeps
  /// `config`; a model brings its own config), else `config` and nil (random weights).
  static func startingPoint(_ config: LlamaConfig, weights path: String?) throws -> (
    LlamaConfig, [String: HostTensor]?
  ) {
    guard let path else { return (config, nil) }
    if path.hasSuffix(".safetensors") {
      return (
        config,
        try failing { () throws(ModelError) in
          try SafetensorsFile(path: path).allTensors()
        }
      )
    }
    let loaded = try failing { () throws(ModelError) in
      try ModelOptions.store().loadLanguageModel(ModelReference(path))
    }
    return (loaded.config, loaded.weights)
  }

  /// Timings as JSON rows: label, milliseconds and calls per step, share of `total` seconds.
  static func profileJSON(_ timings: [StepTiming], runs: Double, total: Double) -> [[String: Any]] {
    timings.map { t in
      [
        "label": t.label, "ms_per_step": round(t.seconds / runs * 1000, 3),
        "share": round(t.seconds / total, 4), "calls_per_step": round(Double(t.calls) / runs, 1),
      ]
    }
  }

  /// Timings as text lines under a title (shares of `total` seconds).
  static func profileText(_ title: String, _ timings: [StepTiming], runs: Double, total: Double)
    -> String
  {
    var lines = "\(title) (ms per step, share):\n"
    for t in timings {
      lines += String(
        format: "  %8.2f ms  %5.1f%%  %6d calls/step  %@\n", t.seconds / runs * 1000,
        100 * t.seconds / total, Int(Double(t.calls) / runs), t.label)
    }
    return lines
  }

  /// Random tokens, next-token labels, a loss mask without the last position, weights drawn
  /// like a fresh model (N(0, 0.02), norms 1); the Surgery sequences are random and unpadded.
  static func inputs(_ graph: Graph, vocabulary: Int, batch: Int) throws -> [String: HostTensor] {
    var rng = SplitMix(seed: 0x5ca1_9e1)
    var out: [String: HostTensor] = [:]
    for p in graph.parameters {
      let type = p.type
      let shape = type.shape
      let values: [Double]
      switch p.name {
      case "tokens", "harmful_tokens", "safe_tokens":
        values = (0..<type.count).map { _ in Double(rng.next() % UInt64(vocabulary)) }
      case "labels":
        values = (0..<type.count).map { _ in Double(rng.next() % UInt64(vocabulary)) }
      case "loss_mask":
        let t = shape.last ?? 1
        values = (0..<type.count).map { $0 % t == t - 1 ? 0 : 1 }
      case "learning_rate":
        values = [1e-4]
      case "step":
        values = [1]
      default:
        if type.dtype.isInteger || type.dtype == .i1 {
          values = Array(repeating: 1, count: type.count)
        } else if p.name.hasPrefix("adam_m.") || p.name.hasPrefix("adam_v.") {
          values = Array(repeating: 0, count: type.count)
        } else if p.name.hasSuffix("norm.weight") {
          values = Array(repeating: 1, count: type.count)
        } else {
          values = (0..<type.count).map { _ in rng.normal() * 0.02 }
        }
      }
      out[p.name] = try HostTensor(type, doubles: values)
    }
    return out
  }

  /// Runs the step `warmup + steps` times as the trainer does (weights and optimizer state
  /// updated in place by their `next_` results, taken out of `inputs`), counting `step` up;
  /// the step times in seconds after the warm-up and every loss.
  static func time(
    _ executable: any GraphExecutable, steps: Int, warmup: Int,
    inputs: inout [String: HostTensor]
  ) throws -> (times: [Double], losses: [Double]) {
    let graph = executable.graph
    // The state moves out of `inputs`: held once, as the trainer holds it, it is updated in
    // place from the first step.
    var state: [String: HostTensor] = [:]
    for i in graph.parameterUpdates.keys {
      state[graph.parameters[i].name] = inputs.removeValue(forKey: graph.parameters[i].name)
    }
    var values = inputs
    var times: [Double] = []
    var losses: [Double] = []
    let clock = ContinuousClock()
    for i in 0..<(warmup + steps) {
      let start = clock.now
      let outputs = try executable.run(values, updating: &state) { _ in true }
      let elapsed = seconds(clock.now - start)
      if let counter = graph.parameter(named: "step") {
        values["step"] = try HostTensor(counter.type, doubles: [Double(i + 2)])
      }
      if i >= warmup { times.append(elapsed) }
      losses.append(outputs["loss"]?.doubles.first ?? .nan)
    }
    return (times, losses)
  }

  static func round(_ x: Double, _ digits: Int = 2) -> Double {
    let scale = pow(10, Double(digits))
    return (x * scale).rounded() / scale
  }
}

extension BenchTrainStepCommand {
  /// What the numbers depend on: the CPU (model, vector extensions), the JIT's target CPU and
  /// features, OpenBLAS's build, kernel and threads, and the pool's thread count.
  static func host() throws -> [String: Any] {
    func field(_ prefix: String) -> String { HostCPU.field(prefix) ?? "unknown" }
    let vector = (HostCPU.field("flags") ?? "").split(separator: " ").filter {
      ["sse4_2", "avx", "avx2", "fma", "f16c"].contains($0) || $0.hasPrefix("avx512")
        || $0.hasPrefix("amx")
    }
    let target = try BackendChoice.jitTarget()
    let jit = try JIT.host(target)
    let blas = Gemm.openBLAS
    return [
      "cpu": field("model name"), "cpu_family": field("cpu family"), "cpu_model": field("model\t"),
      "vector_extensions": vector.joined(separator: " "), "jit_cpu": jit.cpu,
      "jit_target": target.rawValue,
      "jit_vector_bytes": jit.vectorBytes,
      "jit_features": jit.features.split(separator: ",").filter { $0.hasPrefix("+") }
        .joined(separator: ","),
      "openblas": blas.configuration, "openblas_kernel": blas.kernel,
      "openblas_threads": blas.threads, "pool_threads": JITOptions.hostThreads,
    ]
  }
}

/// A small deterministic generator (SplitMix64) for benchmark inputs.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9e37_79b9_7f4a_7c15
    var z = state
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
  }
  /// A standard normal sample (Box–Muller).
  mutating func normal() -> Double {
    let u = (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992
    let v = Double(next() >> 11) / 9_007_199_254_740_992
    return (-2 * Foundation.log(u)).squareRoot() * cos(2 * Double.pi * v)
  }
}
