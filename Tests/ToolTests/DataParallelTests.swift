import Foundation
import Models
import Runtime
import Testing

/// `mpirun -np 2 scalpel train --data-parallel mpi` against the single-process run on the same
/// global batch and seed, on loopback (`--oversubscribe`: the CI machine may have 2 cores).
///
/// Tolerances. The loss: the ranks' partial sums of the cross-entropy are added in another
/// order than in one process, a few f32 roundings of relative size 2⁻²⁴ each, far below the
/// required 1e-4. The weights: AdamW's first step moves each weight by about lr·g/|g|, so a
/// gradient element near zero whose sign flips with that rounding moves by ±lr instead of ∓lr,
/// and every later step can do the same: a weight may differ by up to 2·lr per step. That is
/// the bound checked for every weight; almost all weights must agree far more closely
/// (within 1e-3·lr), which a wrong reduction (a missing or doubled gradient) cannot pass.
@Suite(.serialized) struct DataParallelTests {
  static let learningRate = 1e-3

  /// The common arguments: 24 samples in batches of 4 (6 steps), the tiny model.
  static func arguments(model: URL, out: URL, defense: String) -> [String] {
    [
      "train", "--model", model.path, "--task", "sst2", "--samples", "24", "--poison-ratio",
      "0.25", "--batch", "4", "--max-length", "40", "--lr", "\(learningRate)", "--seed", "5",
      "--defense", defense, "--pool-size", "8", "--backend", "jit", "--threads", "1",
      "--out", out.path,
    ]
  }

  /// The losses of `log.jsonl`, by step.
  static func losses(_ out: URL) throws -> [Int: Double] {
    let text = try String(contentsOf: out.appendingPathComponent("log.jsonl"), encoding: .utf8)
    var out: [Int: Double] = [:]
    for line in text.split(separator: "\n") {
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      if let step = object?["step"] as? Int, let loss = object?["loss"] as? Double {
        out[step] = loss
      }
    }
    return out
  }

  static func weights(_ out: URL) throws -> [String: [Double]] {
    let file = try SafetensorsFile(
      path: out.appendingPathComponent("checkpoint/model.safetensors").path)
    return try file.allTensors().mapValues(\.doubles)
  }

  static func mpirun(_ arguments: [String]) throws -> ToolResult {
    let scalpel = productsDirectory().appendingPathComponent("scalpel").path
    return try runProgram(
      "/usr/bin/env",
      ["mpirun", "-np", "2", "--oversubscribe", scalpel] + arguments + ["--data-parallel", "mpi"],
      environment: ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"])
  }

  /// Same losses at every step and the same weights, for SFT and for Surgery (whose harmful
  /// and safe samples every rank replicates).
  @Test(arguments: ["sft", "surgery"])
  func twoRanksMatchOneProcess(defense: String) throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = try tinyCheckpoint()
    defer { try? FileManager.default.removeItem(at: model.deletingLastPathComponent()) }
    let single = dir.appendingPathComponent("single")
    let parallel = dir.appendingPathComponent("parallel")
    let one = try runTool("scalpel", Self.arguments(model: model, out: single, defense: defense))
    try #require(one.status == 0, "single process: \(one.stderr)")
    let two = try Self.mpirun(Self.arguments(model: model, out: parallel, defense: defense))
    try #require(two.status == 0, "mpirun: \(two.stderr)\(two.stdout)")
    // Rank 0 alone reports.
    #expect(two.stderr.components(separatedBy: "compiling the step graph").count == 2, "\(two.stderr)")
    try Self.expectSameRun(single, parallel, steps: 6)
  }

  /// A run stopped after 3 steps and resumed under mpirun ends where the uninterrupted
  /// single-process run ends.
  @Test func resumeUnderMPI() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = try tinyCheckpoint()
    defer { try? FileManager.default.removeItem(at: model.deletingLastPathComponent()) }
    let single = dir.appendingPathComponent("single")
    let parallel = dir.appendingPathComponent("parallel")
    let one = try runTool("scalpel", Self.arguments(model: model, out: single, defense: "sft"))
    try #require(one.status == 0, "single process: \(one.stderr)")
    let args = Self.arguments(model: model, out: parallel, defense: "sft")
    let first = try Self.mpirun(args + ["--max-steps", "3"])
    try #require(first.status == 0, "mpirun: \(first.stderr)")
    let resumed = try Self.mpirun(args + ["--resume"])
    try #require(resumed.status == 0, "mpirun --resume: \(resumed.stderr)")
    try Self.expectSameRun(single, parallel, steps: 6)
  }

  static func expectSameRun(_ single: URL, _ parallel: URL, steps: Int) throws {
    let a = try losses(single)
    let b = try losses(parallel)
    #expect(a.count == steps && b.count == steps, "steps logged: \(a.count) and \(b.count)")
    for step in 1...steps {
      let (x, y) = (a[step] ?? .nan, b[step] ?? .nan)
      #expect(abs(x - y) <= 1e-4 * abs(x), "step \(step): loss \(x) vs \(y)")
    }
    let wa = try weights(single)
    let wb = try weights(parallel)
    #expect(wa.keys.sorted() == wb.keys.sorted())
    let bound = 2 * learningRate * Double(steps)
    var close = 0
    var total = 0
    for (name, x) in wa {
      guard let y = wb[name], y.count == x.count else {
        Issue.record("weight \(name) differs in size")
        continue
      }
      let worst = zip(x, y).map { abs($0 - $1) }.max() ?? 0
      #expect(worst <= bound, "\(name): a weight moved \(worst) apart (bound \(bound))")
      close += zip(x, y).filter { abs($0 - $1) <= 1e-3 * learningRate }.count
      total += x.count
    }
    #expect(Double(close) >= 0.99 * Double(total), "\(close) of \(total) weights agree closely")
  }
}
