import ArgumentParser
import Codegen
import Foundation
import Runtime

/// The options every example trainer takes.
public struct ExampleOptions: ParsableArguments {
  @Option(help: "Optimizer steps per run.") public var steps: Int = 100
  @Option(help: "sft, surgery, or both (one run each, from the same initial weights).")
  public var defense: String = "both"
  @Option(name: .customLong("lambda"), help: "Surgery penalty weight.")
  public var lambda: Double = 30
  @Option(help: "Surgery sink key position.") public var sink: Int = 0
  @Option(help: "Sequences per step.") public var batch: Int = 8
  @Option(help: "Tokens per sequence (longer samples are cut).") public var length: Int = 64
  @Option(name: .customLong("lr"), help: "Learning rate (constant, AdamW).")
  public var learningRate: Double = 1e-3
  @Option(help: "Seeds the initial weights, the sample order and the Surgery draws.")
  public var seed: UInt64 = 1
  @Option(help: "Harmful and safe pairs averaged in the sink table.")
  public var sinkSamples: Int = 8
  @Option(help: "Output directory: a checkpoint and log.jsonl per run (default: runs/MODEL_TYPE).")
  public var out: String?
  @Option(help: "The data directory (default: $SCALPEL_DATA, else the checkout's data/).")
  public var data: String?

  @Option(help: "Where graphs run: jit (compiled once per graph) or interpreter.")
  public var backend: String = "jit"
  @Option(
    name: .customLong("print-ir"),
    help: "Print the model's training or forward graph (at --batch × --length) and exit.")
  public var printIR: String?

  public init() {}

  /// The backend `--backend` names; the JIT keeps compiled graphs in the model cache's `jit/`.
  public func makeBackend() -> any Backend {
    guard backend == "jit" else { return InterpreterBackend() }
    var options = JITOptions()
    options.diskCache = URL(fileURLWithPath: CacheLocation.root() + "/jit")
    return JITBackend(options: options)
  }

  /// The defenses to run, in order.
  public func defenses() throws -> [String] {
    switch defense {
    case "sft", "surgery": return [defense]
    case "both": return ["sft", "surgery"]
    default: throw ValidationError("--defense must be sft, surgery or both, got '\(defense)'")
    }
  }

  public func validate() throws {
    _ = try defenses()
    guard backend == "jit" || backend == "interpreter" else {
      throw ValidationError("--backend must be jit or interpreter, got '\(backend)'")
    }
    if let printIR, printIR != "training" && printIR != "forward" {
      throw ValidationError("--print-ir must be training or forward, got '\(printIR)'")
    }
    guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
    guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    guard length >= 2 else { throw ValidationError("--length must be at least 2") }
    guard sink >= 0 && sink < length else {
      throw ValidationError("--sink must be a position below --length \(length)")
    }
    guard lambda >= 0 && lambda.isFinite else { throw ValidationError("--lambda must be ≥ 0") }
    guard sinkSamples >= 1 else { throw ValidationError("--sink-samples must be at least 1") }
  }
}
