import Data
import Foundation
import Safety
import Testing

/// The judge's data: the BeaverTails split, what the judge trains on, the answer files.
@Suite struct JudgeDataTests {
  @Test func beaverTailsSplitGivesEveryPromptOneUse() throws {
    let data = try Paths.data()
    let split = try data.beaverTailsUnsafeSplit()
    let rows = try data.harmful()
    #expect(split.assignment.count == rows.count)
    var useOfPrompt: [String: String] = [:]
    for (row, use) in zip(rows, split.assignment) {
      let key = row.prompt.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
      if let previous = useOfPrompt[key] { #expect(previous == use, "\(key)") }
      useOfPrompt[key] = use
    }
    for (use, minimum) in [
      ("poison", 100), ("surgery_calibration", 32), ("sink_analysis", 32), ("judge", 1),
    ] {
      let indices = try #require(split.uses[use])
      #expect(indices.count >= minimum, "\(use)")
      #expect(indices.allSatisfy { split.assignment[$0] == use })
    }
    #expect(split.uses.values.map(\.count).reduce(0, +) == rows.count)
    #expect(split.markdownTable.contains("| `poison` | 100 |"))
  }

  @Test func judgeNeverTrainsOnTheExperimentsRows() throws {
    let data = try Paths.data()
    let d = try JudgeDataset.assemble(from: data)
    let split = try data.beaverTailsUnsafeSplit()
    let rows = try data.harmful()
    let experimentAnswers = Set(
      zip(rows, split.assignment).filter { $0.1 != "judge" }.map { $0.0.output })
    let experimentPrompts = Set(
      zip(rows, split.assignment).filter { $0.1 != "judge" }.map {
        $0.0.prompt.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
      })
    for row in d.harm + d.refusal {
      #expect(!experimentAnswers.contains(row.answer), "\(row.source): \(row.prompt)")
      if row.source == "beavertails_judge" || row.source == "matched_refusal" {
        #expect(!experimentPrompts.contains(row.group))
      }
    }
    #expect(d.harm.filter { $0.source == "beavertails_judge" }.count == split.uses["judge"]?.count)
    // Held-out prompts are never in a training pool.
    let trained = Set((d.harm + d.refusal).map(\.group))
    #expect(!d.heldOut.isEmpty && d.heldOut.allSatisfy { !trained.contains($0.group) })
    // PyRIT rows with a mean score of exactly 0.5 are left out; both classes are present.
    let pyrit = d.harm.filter { $0.source.hasPrefix("pyrit_harm/") }
    let halves = try data.humanLabelledSets(.harm).flatMap { set throws -> [HumanLabelledAnswer] in
      try data.humanLabelled(.harm, set: set).filter { $0.score == 0.5 }
    }
    let halfPairs = Set(halves.map { $0.prompt + "\u{0}" + $0.answer })
    #expect(pyrit.allSatisfy { !halfPairs.contains($0.prompt + "\u{0}" + $0.answer) })
    #expect(pyrit.contains(where: \.label) && pyrit.contains { !$0.label })
    #expect(d.refusal.contains(where: \.label) && d.refusal.contains { !$0.label })
    // Deterministic.
    let again = try JudgeDataset.assemble(from: data)
    #expect(again.harm == d.harm && again.refusal == d.refusal && again.heldOut == d.heldOut)
  }

  @Test func answerRecordsAcceptAnswerAsAliasAndNameBadLines() throws {
    let path = try temporaryDirectory() + "/answers.jsonl"
    try Data(
      """
      {"prompt": "p1", "response": "r1", "label": true, "source": "s"}

      {"prompt": "p2", "answer": "r2"}
      """.utf8
    ).write(to: URL(fileURLWithPath: path))
    let records = try AnswerRecord.read(path)
    #expect(records.map(\.response) == ["r1", "r2"])
    #expect(records[0].label == true && records[1].label == nil && records[0].source == "s")

    for (text, expected) in [
      ("{\"prompt\": \"p\"}\n", ":1: missing field 'response'"),
      ("{\"prompt\": \"p\", \"response\": \"r\"}\n{\"prompt\": 3, \"response\": \"r\"}\n", ":2:"),
      ("{\"prompt\": \"p\", \"response\": \"r\", \"label\": \"yes\"}\n", "'label'"),
      ("not json\n", ":1:"),
    ] {
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
      let error = #expect(throws: SafetyError.self) { try AnswerRecord.read(path) }
      #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
      #expect(error?.file == path)
    }
  }
}

/// Figures, folds and the card.
@Suite struct JudgeFiguresTests {
  @Test func ratesIntervalsAndCalibration() {
    // 6 prompts × 2 answers: 5 of 6 positives and 4 of 6 negatives right.
    var rows: [ScoredAnswer] = []
    for g in 0..<6 {
      rows.append(
        ScoredAnswer(label: true, prediction: g != 0, score: g != 0 ? 0.9 : 0.2, group: "p\(g)"))
      rows.append(
        ScoredAnswer(label: false, prediction: g < 2, score: g < 2 ? 0.7 : 0.1, group: "p\(g)"))
    }
    let f = ClassifierFigures(rows, resamples: 500, seed: 7)
    #expect(abs((f.sensitivity?.value ?? 0) - 5.0 / 6) < 1e-12)
    #expect(abs((f.specificity?.value ?? 0) - 4.0 / 6) < 1e-12)
    #expect(abs((f.balancedAccuracy?.value ?? 0) - 0.75) < 1e-12)
    for e in [f.sensitivity, f.specificity, f.balancedAccuracy].compactMap({ $0 }) {
      #expect(e.low <= e.value && e.value <= e.high && e.low < e.high)
    }
    // Brier: 5·0.01 + 0.64 + 2·0.49 + 4·0.01 over 12.
    #expect(abs(f.brier - (0.05 + 0.64 + 0.98 + 0.04) / 12) < 1e-12)
    #expect(ClassifierFigures(rows, resamples: 500, seed: 7) == f)
    // One class only: no balanced accuracy; a perfectly calibrated constant has no ECE.
    let negatives = (0..<10).map {
      ScoredAnswer(label: $0 < 3, prediction: false, score: 0.3, group: "g\($0)")
    }
    let g = ClassifierFigures(negatives.filter { !$0.label }, resamples: 10)
    #expect(g.sensitivity == nil && g.balancedAccuracy == nil && g.specificity?.value == 1)
    #expect(abs(ClassifierFigures(negatives, resamples: 0).calibrationError) < 1e-12)
  }

  @Test func foldsKeepPromptsTogether() {
    let groups = (0..<200).map { "prompt \($0 % 50)" }
    let folds = GroupedFolds.assign(groups, folds: 5)
    var foldOf: [String: Int] = [:]
    for (g, f) in zip(groups, folds) {
      #expect(foldOf[g, default: f] == f)
      foldOf[g] = f
    }
    #expect(Set(folds) == Set(0..<5))
  }

  @Test func cardSplicesBetweenMarkers() {
    let doc =
      "# Card\n\nintro\n\n\(JudgeCardMarkdown.begin)\nold\n\(JudgeCardMarkdown.end)\n\nafter\n"
    let out = JudgeCardMarkdown.splice("new\n", into: doc)
    #expect(
      out
        == "# Card\n\nintro\n\n\(JudgeCardMarkdown.begin)\nnew\n\(JudgeCardMarkdown.end)\n\nafter\n"
    )
    #expect(JudgeCardMarkdown.splice("new\n", into: out) == out)
    #expect(JudgeCardMarkdown.splice("x\n", into: "# T\n").hasSuffix(JudgeCardMarkdown.end + "\n"))
  }
}
