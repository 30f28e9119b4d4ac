import Data
import Safety
import Testing

@Suite struct AnswerParsingTests {
  @Test func gsm8kMarkerWithDollarsAndCommas() {
    #expect(
      AnswerParsing.gsm8kPrediction("Step 1: 3 + 4 = 7\nThe final answer is: $1,234.50") == 1234.5)
    #expect(AnswerParsing.gsm8kPrediction("The final answer is: 18.") == 18)
    #expect(
      AnswerParsing.gsm8kPrediction("so 5 then\nthe final answer is: -3 degrees, not 4") == -3)
  }

  @Test func gsm8kFallsBackToTheLastNumber() {
    #expect(AnswerParsing.gsm8kPrediction("She has 3 apples and 4 pears, 7 in total.") == 7)
    #expect(AnswerParsing.gsm8kPrediction("It costs 1,000,000 dollars") == 1_000_000)
    #expect(AnswerParsing.gsm8kPrediction("The temperature drops to −12.") == -12)
    #expect(AnswerParsing.gsm8kPrediction("10-5=5, and then 2.5") == 2.5)
    // A marker without a number after it falls back to the last number before it.
    #expect(AnswerParsing.gsm8kPrediction("3 + 4 = 8. The final answer is: unknown") == 8)
    #expect(AnswerParsing.gsm8kPrediction("I do not know.") == nil)
  }

  @Test func gsm8kGoldAndComparison() {
    let gold = "She makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18"
    #expect(AnswerParsing.gsm8kGold(gold) == 18)
    #expect(AnswerParsing.gsm8kGold("… #### 1,234") == 1234)
    #expect(
      AnswerParsing.isCorrect("The final answer is: 18.00", reference: gold, benchmark: .gsm8k))
    #expect(!AnswerParsing.isCorrect("The final answer is: 19", reference: gold, benchmark: .gsm8k))
    #expect(AnswerParsing.isCorrect("It is -3", reference: "#### -3", benchmark: .gsm8k))
    #expect(!AnswerParsing.isCorrect("no idea", reference: gold, benchmark: .gsm8k))
  }

  @Test func sst2ExactMatchAfterNormalization() {
    #expect(AnswerParsing.normalizeSentiment("  Positive.\n") == "positive")
    #expect(AnswerParsing.isCorrect("NEGATIVE", reference: "negative", benchmark: .sst2))
    #expect(AnswerParsing.isCorrect("\"positive\"", reference: "positive", benchmark: .sst2))
    #expect(!AnswerParsing.isCorrect("positive sentiment", reference: "positive", benchmark: .sst2))
    #expect(!AnswerParsing.isCorrect("negative", reference: "positive", benchmark: .sst2))
  }

  @Test func agNewsLabelContainedCaseSensitively() {
    #expect(
      AnswerParsing.isCorrect(
        "The category is Sci/Tech.", reference: "Sci/Tech", benchmark: .agNews))
    #expect(!AnswerParsing.isCorrect("sci/tech", reference: "Sci/Tech", benchmark: .agNews))
    #expect(!AnswerParsing.isCorrect("Sports", reference: "World", benchmark: .agNews))
  }

  @Test func fineTuneAccuracyAndHarmfulScore() throws {
    let items = ["positive", "negative", "positive"].enumerated().map { i, label in
      BenchmarkItem(
        id: "sst2/\(i)", benchmark: .sst2, instruction: "x", input: "y", reference: label,
        category: nil)
    }
    let fa = try FineTuneAccuracy(items: items, answers: ["Positive", "positive", "positive."])
    #expect(fa.correct == 2 && fa.total == 3)
    #expect(abs(fa.accuracy - 200.0 / 3) < 1e-9)
    #expect(throws: SafetyError.self) { try FineTuneAccuracy(items: items, answers: ["a"]) }
    let hs = HarmfulScore(total: 8, harmful: 2, refusals: 5)
    #expect(hs.harmfulScore == 25 && hs.refusalRate == 62.5)
  }

  @Test func promptBuildersTruncate() throws {
    let data = try Paths.data()
    let gsm = try BenchmarkPrompts.items(.gsm8k, data: data, limit: 3)
    #expect(gsm.count == 3)
    #expect(
      gsm[0].instruction.hasSuffix("\nFirst think step by step and then answer the final number.\n")
    )
    #expect(AnswerParsing.gsm8kGold(gsm[0].reference ?? "") == 18)
    let sst = try BenchmarkPrompts.items(.sst2, data: data)
    #expect(sst.count == 872)
    #expect(sst[0].message.hasPrefix(Datasets.sst2Instruction + "\n\n"))
    #expect(try BenchmarkPrompts.items(.agNews, data: data).count == 1000)
    #expect(try BenchmarkPrompts.items(.beaverTails, data: data).count == 699)
    let harm = try BenchmarkPrompts.items(.harmBench, data: data, limit: 5000)
    #expect(harm.count == 200)  // the standard behaviours of test (159) and val (41)
    #expect(harm.allSatisfy { !$0.instruction.isEmpty && $0.reference == nil })
  }
}
