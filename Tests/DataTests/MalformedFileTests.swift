import Data
import Foundation
import Testing

/// Every reader's error names the file, the line and what was expected there.
@Suite struct MalformedFileTests {
  @Test func jsonLines() throws {
    let path = try writeTemporary(
      "{\"question\": \"q\", \"answer\": \"a\"}\r\n{\"question\": \"q2\", \"answer\": [1]}\n",
      name: "g.jsonl")
    #expect(throws: DataError("field 'answer' is not a string", path: path, line: 2)) {
      try Datasets.gsm8kProblems(path)
    }
    let truncated = try writeTemporary(
      "{\"prompt\": \"p\", \"category\": \"c\"}\n{\"prompt\": ", name: "e.jsonl")
    #expect(throws: DataError("invalid JSON", path: truncated, line: 2)) {
      try Datasets.beaverTailsEvaluation(truncated)
    }
    #expect(
      "\(DataError("field 'answer' is not a string", path: path, line: 2))"
        == "\(path):2: field 'answer' is not a string")
  }

  @Test func jsonObjectAndArray() throws {
    let prefixes = try writeTemporary("\n{\"prefixes\": [\"Sorry\", 3]}\n", name: "p.json")
    #expect(
      throws: DataError("field 'prefixes' is not an array of strings", path: prefixes, line: 2)
    ) { try Datasets.refusalPrefixes(prefixes) }
    let notArray = try writeTemporary("{\"prompt\": \"p\"}", name: "b.json")
    #expect(throws: DataError("expected a JSON array of objects", path: notArray, line: 1)) {
      try Datasets.beaverTails(notArray)
    }
    let element = try writeTemporary("[\n  {\"prompt\": \"p\"},\n  \"text\"\n]", name: "b.json")
    #expect(throws: DataError("element 1 is not an object", path: element, line: 3)) {
      try Datasets.pairs(element, side: .safe)
    }
  }

  @Test func csvCommentsBeforeTheHeaderAndNamedColumns() throws {
    let text =
      "\u{FEFF}# dataset_version=1.0,,\r\na, b ,c\r\n1,\"x, y\",\"he said \"\"hi\"\"\nnext line\"\r\n#2,,\n"
    let t = try CSVTable.parse(text, path: "t.csv")
    #expect(t.header == ["a", "b", "c"])
    #expect(t.headerLine == 2)
    #expect(t.rows == [["1", "x, y", "he said \"hi\"\nnext line"], ["#2", "", ""]])
    #expect(t.lines == [3, 5])
    #expect(throws: DataError("unterminated quoted field", path: "t.csv", line: 2)) {
      try CSVTable.parse("a\n\"open", path: "t.csv")
    }
    #expect(throws: DataError("no header record", path: "t.csv", line: 2)) {
      try CSVTable.parse("# only a comment\n", path: "t.csv")
    }
  }

  @Test func csvScoresAndColumns() throws {
    let path = try writeTemporary(
      "# v=1\nobjective,assistant_response,human_score_1\nq,a,1\nq2,a2,high\n", name: "set.csv")
    #expect(
      throws: DataError("column 'human_score_1' is 'high', expected a number", path: path, line: 4)
    ) { try Datasets.humanLabelled(path, set: "set") }
    let noScore = try writeTemporary("objective,assistant_response\nq,a\n", name: "set.csv")
    #expect(
      throws: DataError(
        "no human_score column (columns: objective, assistant_response)", path: noScore, line: 1)
    ) { try Datasets.humanLabelled(noScore, set: "set") }
    let short = try writeTemporary("objective,assistant_response,human_score\nq,a\n", name: "s.csv")
    #expect(
      throws: DataError(
        "2 fields, expected 3 (objective, assistant_response, human_score)", path: short, line: 2)
    ) { try Datasets.humanLabelled(short, set: "s") }
  }

  @Test func tsv() throws {
    let table = try TSVTable.parse("\na\tb\r\n1\t\n\n2\tx\n", path: "t.tsv")
    #expect(table.header == ["a", "b"] && table.headerLine == 2)
    #expect(table.rows == [["1", ""], ["2", "x"]] && table.lines == [3, 5])
    #expect(
      throws: DataError("3 fields, expected 2 separated by tabs (a<TAB>b)", path: "t.tsv", line: 3)
    ) { try TSVTable.parse("a\tb\n1\t2\n1\t2\t3\n", path: "t.tsv") }
    #expect(throws: DataError("no header line", path: "t.tsv", line: 1)) {
      try TSVTable.parse("\n\n", path: "t.tsv")
    }
  }

  @Test func filesThatCannotBeRead() throws {
    let directory = try temporaryDirectory()
    #expect(throws: DataError("a directory, not a file", path: directory)) {
      try JSONFile.lines(directory)
    }
    let latin1 = directory + "/latin1.csv"
    try Foundation.Data([0x61, 0x0A, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: latin1))
    #expect(throws: DataError("not valid UTF-8", path: latin1)) { try CSVTable.read(latin1) }
  }
}
