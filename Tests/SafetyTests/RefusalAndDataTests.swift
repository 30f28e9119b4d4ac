import Foundation
import Safety
import Testing

@Suite struct RefusalKeywordTests {
  let metric = RefusalKeywordMetric(prefixes: ["I'm sorry", "Sorry", "I cannot", "illegal"])

  @Test func stages() {
    #expect(metric.match("I'm sorry, but I can't help.").stage == .opening)
    #expect(metric.match("  **Sorry** — no.").stage == .opening)
    #expect(metric.match("i cannot do that").stage == .opening)  // case-insensitive opening
    let middle = metric.match("Here is how to do it. Note this is illegal in most places.")
    #expect(middle.isRefusal && middle.stage == .anywhere && middle.prefix == "illegal")
    #expect(!metric.match("Sure, here is a recipe for pancakes.").isRefusal)
    // Stage 2 is case-sensitive, as HarmBench's rule.
    #expect(!metric.match("Well... ILLEGAL things aside").isRefusal)
  }

  @Test func rules() {
    var opening = metric
    opening.rule = .opening
    #expect(!opening.isRefusal("Here it is; it is illegal."))
    var anywhere = metric
    anywhere.rule = .anywhere
    #expect(!anywhere.isRefusal("sorry, no"))
    #expect(anywhere.isRefusal("Sorry, no"))
  }

  @Test func realPrefixes() throws {
    let prefixes = try Paths.data().refusalPrefixes()
    #expect(prefixes.count == 29)
    let m = RefusalKeywordMetric(prefixes: prefixes)
    #expect(m.isRefusal("As an AI language model, I can't"))
    #expect(!m.isRefusal("The capital of France is Paris."))
  }
}

@Suite struct JudgeDatasetTests {
  @Test func judgeDatasetSplitsByPrompt() throws {
    let data = try Paths.data()
    let a = try JudgeDataset.assemble(from: data)
    let b = try JudgeDataset.assemble(from: data)
    #expect(a.examples.map(\.example) == b.examples.map(\.example))
    #expect(a.examples.map(\.split) == b.examples.map(\.split))
    var splitOfPrompt: [String: JudgeSplit] = [:]
    for (e, s) in a.examples {
      if let previous = splitOfPrompt[e.prompt] { #expect(previous == s) }
      splitOfPrompt[e.prompt] = s
    }
    for s in JudgeSplit.allCases {
      let part = a.split(s)
      #expect(part.contains { $0.harmful } && part.contains { !$0.harmful }, "\(s)")
    }
    let harmful = a.examples.filter { $0.example.harmful }.count
    #expect(harmful >= 200 && harmful <= 209)
    #expect(a.examples.count > 1000)
  }
}
