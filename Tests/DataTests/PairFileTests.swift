import Data
import Foundation
import Testing

@Suite struct PairFileTests {
  @Test func answerIsAnAliasOfResponse() throws {
    let path = try writeTemporary(
      """
      {"prompt": "p1", "response": "r1"}
      {"prompt": "p2", "answer": "a2"}
      {"instruction": "i3", "input": "x3", "output": "o3"}
      """, name: "pairs.jsonl")
    let pairs = try Datasets.pairs(path, side: .harmful)
    #expect(
      pairs == [
        InstructionPair(instruction: "p1", output: "r1"),
        InstructionPair(instruction: "p2", output: "a2"),
        InstructionPair(instruction: "i3", input: "x3", output: "o3"),
      ])
    #expect(pairs[2].prompt == "i3\n\nx3")
  }

  @Test func isSafeKeepsTheFilesSideWherePresent() throws {
    let path = try writeTemporary(
      """
      {"prompt": "h", "response": "bad", "is_safe": false}
      {"prompt": "s", "response": "good", "is_safe": true}
      {"prompt": "n", "answer": "either"}
      """, name: "mixed.jsonl")
    #expect(try Datasets.pairs(path, side: .harmful).map(\.instruction) == ["h", "n"])
    #expect(try Datasets.pairs(path, side: .safe).map(\.instruction) == ["s", "n"])
  }

  @Test func beaverTailsJSONArrayReadsAsPairs() throws {
    let rows = try testData().path("beavertails/beavertails_with_refusals_sample9.json")
    let pairs = try Datasets.pairs(rows, side: .harmful)
    #expect(pairs.count == 9)
    #expect(try Datasets.pairs(rows, side: .safe).isEmpty)
    #expect(pairs == (try Datasets.beaverTails(rows).map(\.harmfulPair)))
  }

  @Test func badPairLinesNamePathLineAndField() throws {
    let cases: [(String, String)] = [
      (
        "{\"prompt\": \"p\"}", "missing field 'response' (or its alias 'answer') beside 'prompt'"
      ),
      (
        "{\"prompt\": \"p\", \"response\": \"r\", \"answer\": \"a\"}",
        "both 'response' and 'answer': give one"
      ),
      ("{\"prompt\": \"p\", \"answer\": 3}", "field 'answer' is not a string"),
      (
        "{\"text\": \"t\"}",
        "expected 'prompt' with 'response' (or 'answer'), or 'instruction' with 'output'"
      ),
      (
        "{\"prompt\": \"p\", \"response\": \"r\", \"is_safe\": \"no\"}",
        "field 'is_safe' is not a boolean"
      ),
      ("[1, 2]", "expected a JSON object"),
    ]
    for (line, message) in cases {
      let path = try writeTemporary(
        "{\"prompt\": \"ok\", \"response\": \"ok\"}\n\n" + line + "\n", name: "p.jsonl")
      #expect(throws: DataError(message, path: path, line: 3)) {
        try Datasets.pairs(path, side: .harmful)
      }
    }
  }
}
