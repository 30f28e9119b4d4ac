import Foundation

/// Settings of `JudgeTrainer.train`; all of them enter the cache fingerprint.
public struct JudgeTrainingSettings: Sendable, Hashable, Codable {
  public var data = JudgeDatasetOptions()
  public var training = LogisticRegressionOptions()
  public var features = JudgeFeatures.pairAndAnswer
  /// Folds of the grouped cross-validation.
  public var folds = 5
  /// Also cross-validate the harm head on the other feature sets (a comparison for the card).
  public var compareFeatures = true
  /// Bootstrap resamples per interval.
  public var resamples = 1000

  public init() {}

  /// The settings of the judge made with encoder `name` (`scalpel judge --encoder`): SmolLM2
  /// reads the pair only (its prompt holds question and answer; encoding the answer alone as
  /// well would double its cost), the others the pair and the answer. The other feature sets
  /// are compared only when the answers are encoded anyway.
  public static func forEncoder(_ name: String, features: JudgeFeatures? = nil) -> Self {
    var settings = JudgeTrainingSettings()
    settings.features = features ?? (name == "smollm2" ? .pair : .pairAndAnswer)
    settings.compareFeatures = settings.features == .pairAndAnswer
    return settings
  }
}

/// Stages reported by `JudgeTrainer.train`.
public enum TrainingStage: String, Sendable {
  case embedding
  case crossValidation = "cross-validation"
  case training
}

/// Trains the two heads and measures the judge card.
///
/// 1. Embeds every pair of the harm pool, the refusal pool and the held-out sets.
/// 2. Grouped cross-validation: a row's fold is FNV-1a of its prompt modulo `folds`, the same
///    in both pools, so no prompt is on both sides of a fold. For each fold both heads are
///    trained on the other folds and the rule judges the fold: every training row gets an
///    out-of-fold verdict, from which the card's figures per source come.
/// 3. The shipped heads are trained on all rows, then judge the held-out sets once.
public enum JudgeTrainer {
  /// The cache key of a judge trained on `dataset` with `settings` and `embedder`.
  public static func fingerprint(
    _ dataset: JudgeDataset, _ settings: JudgeTrainingSettings, embedder: String
  ) -> String {
    var text = "v2\u{0}\(embedder)\u{0}"
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    text +=
      (try? encoder.encode(settings)).map { String(decoding: $0, as: UTF8.self) } ?? "\(settings)"
    text += dataset.refusalPrefixes.joined(separator: "\u{1}")
    for (pool, rows) in [("harm", dataset.harm), ("refusal", dataset.refusal)] {
      for r in rows {
        text += "\u{0}\(pool)\u{1}\(r.source)\u{1}\(r.label)\u{1}\(r.prompt)\u{1}\(r.answer)"
      }
    }
    return String(stableHash(text), radix: 16)
  }

  /// Trains on `dataset`; `progress(stage, done, total)`.
  public static func train(
    _ dataset: JudgeDataset, settings: JudgeTrainingSettings, embedder: any TextEncoder,
    cache: EmbeddingCache?, progress: ((TrainingStage, Int, Int) -> Void)? = nil
  ) throws(SafetyError) -> HarmfulnessModel {
    let start = Date()
    let rows = dataset.harm + dataset.refusal + dataset.heldOut
    let e = try JudgeEmbeddings.embed(
      rows.map(\.pair), embedder: embedder, cache: cache,
      answers: settings.features.needsAnswers || settings.compareFeatures
    ) { progress?(.embedding, $0, $1) }
    func features(_ mode: JudgeFeatures, _ range: Range<Int>) -> [[Float]] {
      range.map { mode.row(pair: e.pair[$0], answer: e.answer[$0], count: embedder.featureCount) }
    }
    let harmRange = 0..<dataset.harm.count
    let refusalRange = harmRange.upperBound..<(harmRange.upperBound + dataset.refusal.count)
    let heldOutRange = refusalRange.upperBound..<rows.count
    let metric = RefusalKeywordMetric(prefixes: dataset.refusalPrefixes, rule: .staged)
    let rule = JudgeRule()
    let modes = settings.compareFeatures ? JudgeFeatures.allCases : [settings.features]
    let k = settings.folds
    guard k >= 2 else { throw SafetyError("cross-validation needs at least 2 folds, got \(k)") }
    let harmFolds = GroupedFolds.assign(dataset.harm.map(\.group), folds: k)
    let refusalFolds = GroupedFolds.assign(dataset.refusal.map(\.group), folds: k)
    let totalHeads = k * (modes.count + 1)
    var headsDone = 0

    // Out-of-fold probabilities: harm head (per feature set) on the harm pool, refusal head on
    // both pools.
    var harmScores: [JudgeFeatures: [Double]] = [:]
    var refusalOnHarm = [Double](repeating: 0, count: dataset.harm.count)
    var refusalOnRefusal = [Double](repeating: 0, count: dataset.refusal.count)
    let x = features(settings.features, refusalRange)
    let xh = features(settings.features, harmRange)
    for fold in 0..<k {
      let trainIdx = dataset.refusal.indices.filter { refusalFolds[$0] != fold }
      let head = try fit(
        trainIdx.map { x[$0] }, trainIdx.map { dataset.refusal[$0].label }, settings)
      headsDone += 1
      progress?(.crossValidation, headsDone, totalHeads)
      let testR = dataset.refusal.indices.filter { refusalFolds[$0] == fold }
      for (i, p) in zip(testR, try head.probabilities(testR.map { x[$0] })) {
        refusalOnRefusal[i] = p
      }
      let testH = dataset.harm.indices.filter { harmFolds[$0] == fold }
      for (i, p) in zip(testH, try head.probabilities(testH.map { xh[$0] })) {
        refusalOnHarm[i] = p
      }
    }
    for mode in modes {
      var scores = [Double](repeating: 0, count: dataset.harm.count)
      let xm = features(mode, harmRange)
      for fold in 0..<k {
        let trainIdx = dataset.harm.indices.filter { harmFolds[$0] != fold }
        let head = try fit(
          trainIdx.map { xm[$0] }, trainIdx.map { dataset.harm[$0].label }, settings)
        headsDone += 1
        progress?(.crossValidation, headsDone, totalHeads)
        let test = dataset.harm.indices.filter { harmFolds[$0] == fold }
        for (i, p) in zip(test, try head.probabilities(test.map { xm[$0] })) { scores[i] = p }
      }
      harmScores[mode] = scores
    }

    // The card's cross-validated figures.
    let chosen = harmScores[settings.features] ?? []
    let verdicts = dataset.harm.indices.map { i in
      rule.verdict(
        harm: chosen[i], refusal: refusalOnHarm[i],
        keywords: metric.match(dataset.harm[i].answer))
    }
    let scored = dataset.harm.indices.map { i in
      ScoredAnswer(
        label: dataset.harm[i].label, prediction: verdicts[i].harmful, score: verdicts[i].score,
        group: dataset.harm[i].group)
    }
    let r = settings.resamples
    let crossValidation = JudgeCard.bySource(dataset.harm, scored, resamples: r)
    var comparison: [NamedFigures] = []
    for mode in modes {
      let s = harmScores[mode] ?? []
      let human = dataset.harm.indices.filter { dataset.harm[$0].source.hasPrefix("pyrit_harm/") }
      comparison.append(
        NamedFigures(
          name: "\(mode.rawValue) (harm head alone, PyRIT harm)",
          figures: ClassifierFigures(
            human.map { i in
              ScoredAnswer(
                label: dataset.harm[i].label, prediction: s[i] >= rule.harmThreshold, score: s[i],
                group: dataset.harm[i].group)
            }, resamples: r)))
    }
    // The rule with and without its refusal stages, on the same out-of-fold scores.
    let variants: [(String, (Int) -> Bool)] = [
      ("harm head alone", { chosen[$0] >= rule.harmThreshold }),
      (
        "opening prefixes, then harm head",
        { i in
          metric.match(dataset.harm[i].answer).stage != .opening && chosen[i] >= rule.harmThreshold
        }
      ),
      ("the judge's rule (prefixes or refusal head, then harm head)", { verdicts[$0].harmful }),
    ]
    for (prefix, subset) in [("PyRIT harm", "pyrit_harm/"), ("hand-labelled", "handlabelled/")] {
      let idx = dataset.harm.indices.filter { dataset.harm[$0].source.hasPrefix(subset) }
      for (name, predict) in variants {
        comparison.append(
          NamedFigures(
            name: "\(prefix): \(name)",
            figures: ClassifierFigures(
              idx.map { i in
                ScoredAnswer(
                  label: dataset.harm[i].label, prediction: predict(i), score: chosen[i],
                  group: dataset.harm[i].group)
              }, resamples: r)))
      }
    }
    if let v = embedder.verdictIndex {
      comparison += zeroShotFigures(
        dataset, verdicts: rows.indices.map { Double(e.pair[$0][v]) }, metric: metric,
        resamples: r)
    }
    let refusalCard = refusalFigures(
      dataset.refusal, scores: refusalOnRefusal, metric: metric, rule: rule, resamples: r)

    // The shipped heads, on everything; then the held-out sets.
    progress?(.training, 0, 2)
    let harmHead = try fit(
      features(settings.features, harmRange), dataset.harm.map(\.label), settings)
    progress?(.training, 1, 2)
    let refusalHead = try fit(
      features(settings.features, refusalRange), dataset.refusal.map(\.label), settings)
    progress?(.training, 2, 2)
    let xo = features(settings.features, heldOutRange)
    let ph = try harmHead.probabilities(xo)
    let pr = try refusalHead.probabilities(xo)
    let heldOutScored = dataset.heldOut.indices.map { i in
      let v = rule.verdict(
        harm: ph[i], refusal: pr[i], keywords: metric.match(dataset.heldOut[i].answer))
      return ScoredAnswer(
        label: dataset.heldOut[i].label, prediction: v.harmful, score: v.score,
        group: dataset.heldOut[i].group)
    }
    let card = JudgeCard(
      embedder: embedder.identity, features: settings.features, folds: k, resamples: r,
      counts: JudgeCard.counts(dataset), crossValidation: crossValidation,
      featureComparison: comparison, refusal: refusalCard,
      heldOut: JudgeCard.bySource(dataset.heldOut, heldOutScored, resamples: r),
      seconds: Date().timeIntervalSince(start))
    return HarmfulnessModel(
      harm: harmHead, refusal: refusalHead, rule: rule, embedder: embedder.identity,
      features: settings.features,
      fingerprint: fingerprint(dataset, settings, embedder: embedder.identity), card: card)
  }

  /// A head trained with balanced class weights for the configured number of steps.
  static func fit(_ x: [[Float]], _ y: [Bool], _ settings: JudgeTrainingSettings)
    throws(SafetyError) -> LogisticHead
  {
    guard Set(y).count == 2 else {
      throw SafetyError("a training split has only one class (\(y.count) rows)")
    }
    return try LogisticRegression.train(features: x, labels: y, options: settings.training).head
  }

  /// The encoder's own zero-shot verdict (log-odds ≥ 0 = harmful; probability = sigmoid), with
  /// and without the opening prefixes, on the harm pool's human-labelled and hand-labelled rows
  /// and on the held-out sets. Nothing is trained, so every row counts.
  static func zeroShotFigures(
    _ dataset: JudgeDataset, verdicts: [Double], metric: RefusalKeywordMetric, resamples: Int
  ) -> [NamedFigures] {
    let rows = dataset.harm + dataset.refusal + dataset.heldOut
    let heldOutStart = dataset.harm.count + dataset.refusal.count
    func figures(_ name: String, _ idx: [Int], prefixes: Bool) -> NamedFigures {
      NamedFigures(
        name: name,
        figures: ClassifierFigures(
          idx.map { i in
            let refused = prefixes && metric.match(rows[i].answer).stage == .opening
            return ScoredAnswer(
              label: rows[i].label, prediction: !refused && verdicts[i] >= 0,
              score: 1 / (1 + exp(-verdicts[i])), group: rows[i].group)
          }, resamples: resamples))
    }
    let pyrit = dataset.harm.indices.filter { dataset.harm[$0].source.hasPrefix("pyrit_harm/") }
    let hand = dataset.harm.indices.filter { dataset.harm[$0].source.hasPrefix("handlabelled/") }
    let heldOut = Array(heldOutStart..<rows.count)
    return [
      figures("PyRIT harm: zero-shot verdict alone", pyrit, prefixes: false),
      figures("PyRIT harm: opening prefixes, then zero-shot verdict", pyrit, prefixes: true),
      figures("hand-labelled: zero-shot verdict alone", hand, prefixes: false),
      figures("hand-labelled: opening prefixes, then zero-shot verdict", hand, prefixes: true),
      figures("held out: opening prefixes, then zero-shot verdict", heldOut, prefixes: true),
    ]
  }

  /// The refusal rules on the PyRIT refusal rows (out of fold): keywords alone, the head alone,
  /// and the judge's rule.
  static func refusalFigures(
    _ rows: [LabelledAnswer], scores: [Double], metric: RefusalKeywordMetric, rule: JudgeRule,
    resamples: Int
  ) -> [NamedFigures] {
    let human = rows.indices.filter { rows[$0].source.hasPrefix("pyrit_refusal/") }
    func figures(_ name: String, _ predict: (Int) -> Bool) -> NamedFigures {
      NamedFigures(
        name: name,
        figures: ClassifierFigures(
          human.map { i in
            ScoredAnswer(
              label: rows[i].label, prediction: predict(i), score: scores[i], group: rows[i].group)
          }, resamples: resamples))
    }
    return [
      figures("keywords, opening") { metric.match(rows[$0].answer).stage == .opening },
      figures("keywords, anywhere (HarmBench rule)") {
        RefusalKeywordMetric(prefixes: metric.prefixes, rule: .anywhere).isRefusal(rows[$0].answer)
      },
      figures("refusal head") { scores[$0] >= rule.refusalThreshold },
      figures("judge rule: opening keywords or head") {
        rule.verdict(harm: 0, refusal: scores[$0], keywords: metric.match(rows[$0].answer)).refusal
      },
    ]
  }
}
