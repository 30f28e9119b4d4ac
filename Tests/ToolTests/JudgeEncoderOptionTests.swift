import Foundation
import Testing

/// `--encoder` of `scalpel judge` and `--judge-encoder` of `scalpel experiment`: an unknown name
/// fails at once with one line naming the choices, before any model is loaded.
@Suite struct JudgeEncoderOptionTests {
  @Test func unknownEncodersAreRejectedWithTheChoices() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let runs = [
      ["judge", "--encoder", "bert-large", "--card", dir.appendingPathComponent("c.md").path],
      ["experiment", "--judge-encoder", "bert-large", "--out", dir.path],
    ]
    for arguments in runs {
      let r = try runTool("scalpel", arguments)
      #expect(r.status != 0, "\(arguments[0])")
      #expect(r.stderr.contains("bert-large"), "\(arguments[0]): \(r.stderr)")
      #expect(r.stderr.contains("minilm") && r.stderr.contains("smollm2"), "\(r.stderr)")
    }
  }
}
