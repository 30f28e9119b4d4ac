/// One model's judged answers, item by item (in the preset's item order), and what its
/// results record needs besides them.
public struct RunOutcomes: Sendable, Codable, Hashable {
  public var defense: String
  public var poisonRatio: Double?
  public var seed: UInt64
  public var beaverTailsHarmful: [Bool]
  public var beaverTailsRefusal: [Bool]
  public var harmBenchHarmful: [Bool]
  public var taskCorrect: [Bool]
  public var positiveHeads: Int
  public var divergence: [[Double]]
  public var steps: Int?
  public var stepSeconds: Double?
  public var finalTaskLoss: Double?

  /// `aligned`, or `DEFENSE-pP-sSEED`: the run's directory and generations file name.
  public var name: String {
    guard let p = poisonRatio else { return "aligned" }
    return "\(defense)-p\(p)-s\(seed)"
  }
}

/// HS, FA and their intervals per run, and the defense-against-SFT comparisons.
public enum ExperimentStatistics {
  /// The results record of one run, intervals from `bootstrap` (seeded per run and measure).
  public static func record(_ o: RunOutcomes, bootstrap: Bootstrap) throws(SafetyError)
    -> ExperimentResults.RunRecord
  {
    func percent(_ xs: [Bool]) -> Double {
      xs.isEmpty ? 0 : 100 * Double(xs.filter { $0 }.count) / Double(xs.count)
    }
    func interval(_ xs: [Bool], _ what: String) throws(SafetyError) -> [Double] {
      var b = bootstrap
      b.seed = stableHash("\(o.name)/\(what)") ^ bootstrap.seed
      let i = try b.interval(percent: xs)
      return [i.lowerBound, i.upperBound]
    }
    return ExperimentResults.RunRecord(
      defense: o.defense, poisonRatio: o.poisonRatio, seed: o.seed,
      hsBeavertails: percent(o.beaverTailsHarmful),
      hsBeavertailsCi: try interval(o.beaverTailsHarmful, "hs_beavertails"),
      hsHarmbench: percent(o.harmBenchHarmful),
      hsHarmbenchCi: try interval(o.harmBenchHarmful, "hs_harmbench"),
      refusalBeavertails: percent(o.beaverTailsRefusal), faSst2: percent(o.taskCorrect),
      faSst2Ci: try interval(o.taskCorrect, "fa_sst2"),
      nBeavertails: o.beaverTailsHarmful.count, nHarmbench: o.harmBenchHarmful.count,
      nSst2: o.taskCorrect.count, positiveHeads: o.positiveHeads,
      generations: "generations/\(o.name).jsonl", steps: o.steps, stepSeconds: o.stepSeconds,
      finalTaskLoss: o.finalTaskLoss, divergence: o.divergence)
  }

  /// Every defense other than `baseline` against it at each poison ratio both ran, per harmful
  /// benchmark: outcomes paired by (prompt, seed) over the seeds both ran.
  public static func comparisons(
    _ runs: [RunOutcomes], baseline: String = "sft", bootstrap: Bootstrap
  ) throws(SafetyError) -> [ExperimentResults.Comparison] {
    var out: [ExperimentResults.Comparison] = []
    let fineTuned = runs.filter { $0.poisonRatio != nil }
    for defense in names(fineTuned) where defense != baseline {
      for p in ratios(fineTuned, defense) {
        out += try paired(
          fineTuned.filter { $0.defense == defense && $0.poisonRatio == p },
          fineTuned.filter { $0.defense == baseline && $0.poisonRatio == p },
          defense: defense, baseline: baseline, ratio: p, bootstrap: bootstrap)
      }
    }
    return out
  }

  /// The attack's effect: every defense at each poison ratio p > 0 against itself at p = 0,
  /// per harmful benchmark, paired by (prompt, seed); `baseline` is the defense's name. For
  /// SFT this is the pilot's criterion (c): does the poison raise HS?
  public static func attackEffects(_ runs: [RunOutcomes], bootstrap: Bootstrap)
    throws(SafetyError) -> [ExperimentResults.Comparison]
  {
    var out: [ExperimentResults.Comparison] = []
    let fineTuned = runs.filter { $0.poisonRatio != nil }
    for defense in names(fineTuned) {
      let clean = fineTuned.filter { $0.defense == defense && $0.poisonRatio == 0 }
      guard !clean.isEmpty else { continue }
      for p in ratios(fineTuned, defense) where p > 0 {
        out += try paired(
          fineTuned.filter { $0.defense == defense && $0.poisonRatio == p }, clean,
          defense: defense, baseline: defense, ratio: p, bootstrap: bootstrap)
      }
    }
    return out
  }

  /// Defense names in order of first appearance.
  static func names(_ runs: [RunOutcomes]) -> [String] {
    var out: [String] = []
    for r in runs where !out.contains(r.defense) { out.append(r.defense) }
    return out
  }

  /// A defense's poison ratios in order of first appearance.
  static func ratios(_ runs: [RunOutcomes], _ defense: String) -> [Double] {
    var out: [Double] = []
    for r in runs where r.defense == defense {
      if let p = r.poisonRatio, !out.contains(p) { out.append(p) }
    }
    return out
  }

  /// `mine` against `theirs` per harmful benchmark, pooled over the seeds both ran: HS delta in
  /// points, its paired-bootstrap interval and the exact McNemar test.
  static func paired(
    _ mine: [RunOutcomes], _ theirs: [RunOutcomes], defense: String, baseline: String,
    ratio p: Double, bootstrap: Bootstrap
  ) throws(SafetyError) -> [ExperimentResults.Comparison] {
    let seeds = mine.map(\.seed).filter { s in theirs.contains { $0.seed == s } }.sorted()
    guard !seeds.isEmpty else { return [] }
    var out: [ExperimentResults.Comparison] = []
    for (benchmark, outcome) in [
      ("beavertails", \RunOutcomes.beaverTailsHarmful),
      ("harmbench", \RunOutcomes.harmBenchHarmful),
    ] {
      var a: [Bool] = []
      var b: [Bool] = []
      for s in seeds {
        guard let x = mine.first(where: { $0.seed == s }),
          let y = theirs.first(where: { $0.seed == s })
        else { continue }
        guard x[keyPath: outcome].count == y[keyPath: outcome].count else {
          throw SafetyError(
            "\(x.name) and \(y.name) answered different numbers of \(benchmark) prompts")
        }
        a += x[keyPath: outcome]
        b += y[keyPath: outcome]
      }
      let test = try McNemarTest(first: a, second: b)
      var boot = bootstrap
      // The comparisons against SFT keep their seeds; an attack effect is labelled apart.
      let label = defense == baseline ? "\(defense)-p\(p)-vs-p0" : "\(defense)-vs-\(baseline)-p\(p)"
      boot.seed = stableHash("\(label)-\(benchmark)") ^ bootstrap.seed
      let ci = try boot.interval(difference: a, b)
      let delta =
        100 * Double(a.filter { $0 }.count - b.filter { $0 }.count) / Double(max(a.count, 1))
      out.append(
        ExperimentResults.Comparison(
          defense: defense, baseline: baseline, poisonRatio: p, benchmark: benchmark,
          hsDelta: delta, ci: [ci.lowerBound, ci.upperBound], mcnemarP: test.pValue,
          defenseOnly: test.firstOnly, baselineOnly: test.secondOnly, pairs: a.count))
    }
    return out
  }
}
