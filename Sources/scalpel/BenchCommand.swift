import ArgumentParser
import Codegen
import Foundation
import Models

/// `scalpel bench`: timings of model graphs, as JSON.
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure forward passes, generation and training steps; print JSON.",
    subcommands: [BenchForward.self, BenchGenerate.self, BenchTrainStepCommand.self])
}

/// Repetition options shared by the benchmarks.
struct BenchRepetitions: ParsableArguments {
  @Option(help: "Untimed runs first (graph preparation, caches).") var warmup: Int = 1
  @Option(help: "Timed runs; the median and minimum are reported.") var runs: Int = 5

  func validate() throws {
    guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
    guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
  }
}

/// Median of a non-empty list.
func median(_ values: [Double]) -> Double {
  let sorted = values.sorted()
  let n = sorted.count
  return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}

/// Token ids for a benchmark: the tokens of a fixed English text, repeated to `count`.
func benchTokens(_ model: LoadedLanguageModel, count: Int) -> [Int] {
  let text = "The quick brown fox jumps over the lazy dog while the compiler fuses kernels. "
  var ids = model.tokenizer.encode(text)
  if ids.isEmpty { ids = [0] }
  return (0..<count).map { ids[$0 % ids.count] % model.config.vocabulary }
}

struct BenchForward: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "forward",
    abstract: "Time the full forward pass (all logits) over --tokens tokens.")

  @OptionGroup var model: ModelOptions
  @OptionGroup var repetitions: BenchRepetitions
  @Option(help: "Tokens per row.") var tokens: Int = 128
  @Option(help: "Rows.") var batch: Int = 1

  func validate() throws {
    guard tokens >= 1, batch >= 1 else {
      throw ValidationError("--tokens and --batch must be at least 1")
    }
  }

  func run() throws {
    let backend = try model.selectedBackend()
    let clock = ContinuousClock()
    let loadStart = clock.now
    let loaded = try model.loadLanguageModel()
    let loadSeconds = seconds(clock.now - loadStart)
    let runner = LlamaRunner(loaded, backend: backend)
    let ids = benchTokens(loaded, count: tokens)
    let input = try failing { try PaddedBatch(leftPadding: Array(repeating: ids, count: batch)) }
    var times: [Double] = []
    for i in 0..<(repetitions.warmup + repetitions.runs) {
      let start = clock.now
      _ = try failing { try runner.forward(input) }
      if i >= repetitions.warmup { times.append(seconds(clock.now - start) * 1000) }
    }
    let middle = median(times)
    print(
      try jsonText([
        "benchmark": "forward", "model": model.model, "backend": backend.name, "batch": batch,
        "tokens": tokens, "warmup": repetitions.warmup, "runs": repetitions.runs,
        "median_ms": middle, "min_ms": times.min() ?? 0,
        "tokens_per_second": Double(batch * tokens) / (middle / 1000),
        "load_seconds": loadSeconds, "peak_rss_mib": peakResidentMiB(),
        "threads": model.threads ?? JITOptions.hostThreads,
        "host": try BenchTrainStepCommand.host(),
      ]))
  }
}

struct BenchGenerate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Time greedy generation with the KV cache: prefill and tokens per second.")

  @OptionGroup var model: ModelOptions
  @OptionGroup var repetitions: BenchRepetitions
  @Option(help: "Prompt tokens per row.") var promptTokens: Int = 32
  @Option(help: "Tokens generated per row (stop tokens are ignored).") var newTokens: Int = 32
  @Option(help: "Rows.") var batch: Int = 1

  func validate() throws {
    guard promptTokens >= 1, newTokens >= 2, batch >= 1 else {
      throw ValidationError(
        "--prompt-tokens and --batch must be at least 1, --new-tokens at least 2")
    }
  }

  func run() throws {
    let backend = try model.selectedBackend()
    let clock = ContinuousClock()
    let loadStart = clock.now
    let loaded = try model.loadLanguageModel()
    let loadSeconds = seconds(clock.now - loadStart)
    let generator = TextGenerator(loaded, backend: backend)
    let prompts = Array(repeating: benchTokens(loaded, count: promptTokens), count: batch)
    let options = GenerationOptions(maxNewTokens: newTokens)
    var prefill: [Double] = []
    var decodeRates: [Double] = []
    var totals: [Double] = []
    for i in 0..<(repetitions.warmup + repetitions.runs) {
      let start = clock.now
      var first: ContinuousClock.Instant?
      _ = try failing {
        try generator.generate(prompts, options: options) { row, _ in
          if row == 0 && first == nil { first = clock.now }
        }
      }
      let end = clock.now
      guard i >= repetitions.warmup, let first else { continue }
      prefill.append(seconds(first - start) * 1000)
      decodeRates.append(Double(batch * (newTokens - 1)) / seconds(end - first))
      totals.append(seconds(end - start) * 1000)
    }
    print(
      try jsonText([
        "benchmark": "generate", "model": model.model, "backend": backend.name, "batch": batch,
        "prompt_tokens": promptTokens, "new_tokens": newTokens, "warmup": repetitions.warmup,
        "runs": repetitions.runs, "prefill_median_ms": median(prefill),
        "prefill_min_ms": prefill.min() ?? 0, "total_median_ms": median(totals),
        "total_min_ms": totals.min() ?? 0,
        "decode_tokens_per_second_median": median(decodeRates),
        "decode_tokens_per_second_max": decodeRates.max() ?? 0,
        "load_seconds": loadSeconds, "peak_rss_mib": peakResidentMiB(),
        "threads": model.threads ?? JITOptions.hostThreads,
        "host": try BenchTrainStepCommand.host(),
      ]))
  }
}
