import ArgumentParser
import Data
import Foundation
import Models
import Runtime
import Training

/// Options shared by `scalpel train` and `scalpel align`.
struct FineTuneOptions: ParsableArguments {
  @Option(
    help:
      "smollm2 (cached GGUF), a .gguf file, a Hugging Face directory or a Scalpel checkpoint directory."
  )
  var model: String = "smollm2"
  @OptionGroup var memory: MemoryOptions
  @Option(help: "Output directory: log.jsonl and checkpoint/ (loadable as --model DIR).")
  var out: String
  @OptionGroup var data: DataOptions
  @Option(help: "Passes over the data.") var epochs: Int = 1
  @Option(help: "Sequences per micro-batch.") var batch: Int = 10
  @Option(help: "Micro-batches per optimizer step (gradient accumulation).") var accumulation: Int =
    1
  @Option(help: "Peak learning rate (default: 5e-6 for train, as the reference; 1e-5 for align).")
  var lr: Double?
  @Option(help: "Linear warmup steps; with --cosine the rate then decays to --min-lr.") var warmup:
    Int = 0
  @Flag(help: "Cosine decay after the warmup (default: constant rate).") var cosine = false
  @Option(help: "Final rate of the cosine schedule.") var minLr: Double = 0
  @Option(help: "AdamW decoupled weight decay.") var weightDecay: Double = 0
  @Option(help: "Clip gradients to this global norm (0 = off).") var clip: Double = 0
  @Option(help: "Tokens per sequence: longer samples are cut, shorter ones padded.") var maxLength:
    Int = 256
  @Option(help: "Seed of the data mixture, shuffles and Surgery draws.") var seed: UInt64 = 43
  @Option(help: "Execution backend: jit or interpreter.") var backend: String = "jit"
  @Option(help: "Threads for the JIT (default: the cores, divided among this host's ranks).")
  var threads: Int?
  @Option(
    help:
      "Data parallelism: none, or mpi (start with mpirun -np N; --batch stays the global batch, split over the ranks)."
  )
  var dataParallel: DataParallelChoice = .none
  @Option(help: "Write a checkpoint every N steps (0 = after each epoch and at the end).")
  var checkpointEvery: Int = 0
  @Option(help: "Stop after this many steps (a checkpoint is written; --resume continues).")
  var maxSteps: Int?
  @Flag(help: "Continue the run saved in OUT/checkpoint.") var resume = false
  @Flag(help: "Print where the interpreter spent its time, by op, at the end.") var profile = false
  @Option(
    help: ArgumentHelp(
      "Write the step graph's viewer page here (DIR/step-graph.html: the graph after every pass).",
      valueName: "DIR"))
  var dumpGraphs: String?

  /// Checks the output directory against --resume before anything slow happens.
  func checkOutput() throws {
    let world = try World.join(dataParallel)
    if batch % world.size != 0 {
      throw ValidationError(
        "--batch \(batch) does not split evenly over \(world.size) ranks; use a multiple of \(world.size)")
    }
    let exists = FileManager.default.fileExists(atPath: out + "/checkpoint/trainer_state.json")
    if resume && !exists { throw CommandFailure("--resume: \(out)/checkpoint holds no checkpoint") }
    if !resume && FileManager.default.fileExists(atPath: out + "/checkpoint") {
      throw CommandFailure(
        "\(out)/checkpoint exists: pass --resume to continue it, or choose another --out")
    }
    _ = try makeBackend()
  }

  func makeBackend() throws -> any Backend {
    switch BackendChoice(rawValue: backend) {
    case .interpreter: return InterpreterBackend(profile: profile ? sharedProfile : nil)
    case .jit: return try BackendChoice.jit.make(threads: threads ?? World.defaultThreads)
    case nil: throw ValidationError("unknown backend '\(backend)'; available: interpreter, jit")
    }
  }

  func dataDirectory() throws -> DataDirectory { try data.directory() }

  func schedule(defaultRate: Double, totalSteps: Int) -> LearningRateSchedule {
    let rate = lr ?? defaultRate
    if cosine || warmup > 0 {
      return .warmupCosine(
        peak: rate, warmup: warmup, total: totalSteps, minimum: cosine ? minLr : rate)
    }
    return .constant(rate: rate)
  }

  /// Builds (or resumes) the trainer and runs it with a progress bar.
  func train(
    label: String, loaded: LoadedLanguageModel, samples: [EncodedSample], pools: SurgeryPools?,
    defense: Defense, defaultRate: Double, sources: [String: String]
  ) throws {
    let checkpoint = out + "/checkpoint"
    let world = try World.join(dataParallel)
    defer { World.leave() }
    let trainer: Trainer
    if resume {
      guard FileManager.default.fileExists(atPath: checkpoint + "/trainer_state.json") else {
        throw ValidationError("--resume: \(checkpoint) holds no checkpoint")
      }
      trainer = try Trainer(
        resumingFrom: checkpoint, samples: samples, pools: pools, backend: try makeBackend(),
        communicator: world)
      note(
        "resuming \(checkpoint) at step \(trainer.progress.step) (its saved configuration applies)")
    } else {
      if FileManager.default.fileExists(atPath: checkpoint) {
        throw ValidationError(
          "\(checkpoint) exists: pass --resume to continue it, or choose another --out")
      }
      let microBatches = (samples.count + batch - 1) / max(batch, 1)
      let steps = (microBatches + max(accumulation, 1) - 1) / max(accumulation, 1) * epochs
      let config = TrainingConfig(
        batchSize: batch, accumulation: accumulation, sequenceLength: maxLength, epochs: epochs,
        schedule: schedule(defaultRate: defaultRate, totalSteps: steps),
        optimizer: AdamWConfig(weightDecay: weightDecay, clip: clip), defense: defense, seed: seed,
        checkpointEvery: checkpointEvery)
      if let problem = config.problems().first { throw ValidationError(problem) }
      if let dumpGraphs, World.isLeader {
        try writeStepGraphPage(
          model: loaded.architecture, config: config, ranks: world.size, to: dumpGraphs)
      }
      let split = world.size > 1 ? ", \(batch / world.size) per rank on \(world.size) ranks" : ""
      note(
        "compiling the step graph (\(defense.summary), batch \(batch) × \(maxLength) tokens\(split))…")
      trainer = try Trainer(
        model: loaded.architecture, config: config, weights: loaded.weights, samples: samples,
        pools: pools,
        backend: try makeBackend(), sources: sources, communicator: world)
    }
    trainer.outputDirectory = out
    let startStep = trainer.progress.step
    let planned = min(trainer.totalSteps - startStep, maxSteps ?? Int.max)
    var bar = ProgressBar(total: max(planned, 1), label: label)
    trainer.onStep = { r in
      guard World.isLeader else { return }
      var fields = "loss \(String(format: "%.4f", r.loss))"
      if let p = r.sinkPenalty { fields += " penalty \(String(format: "%.4f", p))" }
      fields += " \(String(format: "%.2f", r.seconds))s/step \(Int(r.tokensPerSecond)) tok/s"
      fields += " lr \(String(format: "%.2e", r.learningRate)) step \(r.step)/\(r.totalSteps)"
      bar.update(r.step - startStep, fields: fields)
    }
    note("\(samples.count) samples, \(trainer.totalSteps) steps; log \(out)/log.jsonl")
    do {
      try trainer.run(maxSteps: maxSteps)
    } catch let error as TrainingError {
      FileHandle.standardError.write(Data("\n".utf8))
      throw CommandFailure(error.message)
    }
    note("wrote \(checkpoint) (step \(trainer.progress.step) of \(trainer.totalSteps))")
    if profile { printProfile(sharedProfile) }
  }
}

/// A line on standard error (only on rank 0 of a data-parallel run).
func note(_ text: String) {
  guard World.isLeader else { return }
  FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Tokenizes instruction pairs, reporting progress for large sets.
func encodeAll(_ pairs: [InstructionPair], with encoder: ChatEncoder) throws -> [EncodedSample] {
  try pairs.map { try encoder.encode($0) }
}

/// The profile `--profile` fills (one per process).
let sharedProfile = InterpreterProfile()

/// The interpreter's time by op, most expensive first, on standard error.
func printProfile(_ profile: InterpreterProfile) {
  let entries = profile.entries
  let total = entries.map(\.seconds).reduce(0, +)
  var lines = ["interpreter time by op (total \(String(format: "%.2f", total)) s):"]
  for e in entries.prefix(20) {
    let name = e.op.padding(toLength: 16, withPad: " ", startingAt: 0)
    lines.append(
      "  " + name
        + String(
          format: "%8.3f s  %5.1f%%  %6d calls", e.seconds, 100 * e.seconds / max(total, 1e-9),
          e.calls))
  }
  note(lines.joined(separator: "\n"))
}
