import Foundation
import Models
import Testing

// Sizes in a config.json are checked before anything is built or allocated from them.

@Suite struct ConfigLimitTests {
  @Test func llamaSizesPast63BitsAreAProblem() {
    var config = LlamaConfig.tiny
    #expect(config.problems().isEmpty)
    #expect(
      config.parameterCount == 8192 * 256 * 2 + 256 + 4 * (4 * 256 * 256 + 3 * 256 * 688 + 512))
    config.vocabulary = 1 << 40
    config.dimension = 1 << 30
    config.hidden = 1 << 40
    #expect(config.parameterCount == nil)
    #expect(config.problems() == ["the sizes give more than 2⁶³−1 parameters"])
    config = LlamaConfig.tiny
    config.contextLength = 0
    #expect(config.problems().contains { $0.contains("context length 0") })
  }

  @Test func bertConfigsAreChecked() throws {
    #expect(BertConfig.miniLM.problems().isEmpty)
    var config = BertConfig.miniLM
    config.heads = 0
    #expect(config.problems().contains("sizes must be positive"))
    config = BertConfig.miniLM
    config.heads = 7
    #expect(config.problems().contains { $0.contains("not a multiple of heads 7") })
    config = BertConfig.miniLM
    config.vocabulary = 1 << 62
    #expect(config.problems() == ["the sizes give more than 2⁶³−1 parameters"])

    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "scalpel-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("config.json").path
    try Data(
      #"{"vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 0, "intermediate_size": 4}"#
        .utf8
    ).write(to: URL(fileURLWithPath: path))
    do {
      _ = try BertConfig(huggingFaceJSON: path)
      Issue.record("read without error")
    } catch {
      #expect(error.file == path)
      #expect(error.message.contains("sizes must be positive"))
    }
  }
}
