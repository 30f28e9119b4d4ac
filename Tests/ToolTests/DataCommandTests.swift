import Foundation
import Testing

/// The data options every command shares: one-line errors naming file, line and field, and
/// `--data` / `$SCALPEL_DATA` resolution. (The `answer` alias through the binary:
/// `SinkDivergenceCommandTests`.)
@Suite struct DataCommandTests {
  @Test func badPairLinesFailWithOneLineNamingFileLineAndField() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let bad = dir.appendingPathComponent("bad.jsonl")
    try "{\"prompt\": \"p\", \"response\": \"r\"}\n{\"prompt\": \"p\"}\n".write(
      to: bad, atomically: true, encoding: .utf8)
    let expected =
      "\(bad.path):2: missing field 'response' (or its alias 'answer') beside 'prompt'"
    let runs = [
      ["sink-divergence", "--harmful", bad.path, "--out", dir.path],
      ["judge", "--in", bad.path, "--out", dir.appendingPathComponent("judged.jsonl").path],
      [
        "train", "--harmful", bad.path, "--backend", "interpreter", "--out",
        dir.appendingPathComponent("run").path,
      ],
    ]
    for arguments in runs {
      let r = try runTool("scalpel", arguments)
      #expect(r.status != 0, "\(arguments[0])")
      #expect(r.stdout.isEmpty, "\(arguments[0]): \(r.stdout)")
      let lines = r.stderr.split(separator: "\n")
      #expect(lines.count == 1 && r.stderr.contains(expected), "\(arguments[0]): \(r.stderr)")
    }
  }

  @Test func dataDirectoryFromTheOptionThenTheEnvironment() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = dir.appendingPathComponent("missing").path
    let option = try runTool(
      "scalpel", ["sink-divergence", "--data", missing, "--out", dir.path],
      environment: ["SCALPEL_DATA": dir.path])
    #expect(option.status != 0)
    #expect(
      option.stderr.contains("\(missing): no such directory (from --data)"), "\(option.stderr)")
    let environment = try runTool(
      "scalpel", ["sink-divergence", "--out", dir.path], environment: ["SCALPEL_DATA": missing])
    #expect(environment.status != 0)
    #expect(
      environment.stderr.contains("\(missing): no such directory (from $SCALPEL_DATA)"),
      "\(environment.stderr)")
    // An empty data directory: the error names the file the default pairs come from.
    let empty = try runTool(
      "scalpel", ["sink-divergence", "--out", dir.path], environment: ["SCALPEL_DATA": dir.path])
    #expect(empty.status != 0)
    #expect(
      empty.stderr.contains(
        dir.path + "/beavertails/harmful_qa_30k_train_first200_unsafe.jsonl: file not found"),
      "\(empty.stderr)")
  }
}
