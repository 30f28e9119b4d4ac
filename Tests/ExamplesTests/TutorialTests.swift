import Foundation
import Testing

/// docs/custom-architecture.md quotes the examples: every Swift block in it must appear
/// verbatim in a source file under examples/, so the tutorial cannot drift from the code.
@Suite struct TutorialTests {
  @Test func everySwiftBlockIsInTheExamples() throws {
    let tutorial = try String(
      contentsOf: Repository.root.appendingPathComponent("docs/custom-architecture.md"),
      encoding: .utf8)
    let blocks = tutorial.components(separatedBy: "```swift\n").dropFirst().compactMap {
      $0.components(separatedBy: "```").first
    }
    #expect(blocks.count >= 5)
    let examples = Repository.root.appendingPathComponent("examples")
    let files = FileManager.default.enumerator(atPath: examples.path)?
      .compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
    let sources = try files.map {
      try String(contentsOf: examples.appendingPathComponent($0), encoding: .utf8)
    }
    for block in blocks {
      #expect(sources.contains { $0.contains(block) }, "not in examples/:\n\(block)")
    }
  }
}
