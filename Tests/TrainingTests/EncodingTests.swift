import Data
import Foundation
import Models
import Runtime
import Testing
import Training

@Suite struct EncodingTests {
  @Test func answerOnlyMasksAndNextTokenLabels() throws {
    let a = EncodedSample(ids: [10, 11, 12, 20, 21, 3], answerStart: 3)
    let b = EncodedSample(ids: [10, 30, 3], answerStart: 1)
    let batch = try LanguageModelBatch.make([a, b], rows: 3, length: 5, padding: 0)
    #expect(batch.tokens.shape == [3, 5])
    #expect(batch.tokens.doubles == [10, 11, 12, 20, 21, 10, 30, 3, 0, 0, 0, 0, 0, 0, 0])
    // Label at t is token t + 1; it counts when t + 1 is an answer token (truncated at 5).
    #expect(batch.labels.doubles == [11, 12, 20, 21, 0, 30, 3, 0, 0, 0, 0, 0, 0, 0, 0])
    #expect(batch.lossMask.doubles == [0, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    #expect(batch.realTokens == 8)
    let (tokens, mask) = try LanguageModelBatch.sequence(b, length: 5)
    #expect(tokens.doubles == [10, 30, 3, 0, 0] && mask.doubles == [1, 1, 1, 0, 0])
    #expect(throws: TrainingError.self) { try LanguageModelBatch.make([a, b], rows: 1, length: 4) }
  }

  @Test func chatFormattedPair() throws {
    let path = try smolLM2File()
    let tokenizer = try ByteLevelBPETokenizer(gguf: try GGUFFile(path: path))
    let encoder = ChatEncoder(
      tokenizer: tokenizer, system: .custom(ChatEncoder.fineTuningSystemPrompt), maxLength: 256)
    let pair = InstructionPair(
      instruction: "Is this positive?", input: "great movie ", output: "positive")
    let sample = try encoder.encode(pair)
    let prompt = try tokenizer.decode(Array(sample.ids[..<sample.answerStart]))
    let answer = try tokenizer.decode(Array(sample.ids[sample.answerStart...]))
    #expect(
      prompt
        == "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nIs this positive?\n\ngreat movie <|im_end|>\n<|im_start|>assistant\n"
    )
    #expect(answer == "positive<|im_end|>")
    #expect(sample.ids.last == tokenizer.eosTokenId)

    let batch = try LanguageModelBatch.make([sample], rows: 1, length: 64)
    let mask = batch.lossMask.doubles
    let counted = mask.enumerated().filter { $0.element == 1 }.map(\.offset)
    // The positions predicting the answer tokens and EOS, nothing else.
    #expect(counted == Array((sample.answerStart - 1)..<(sample.ids.count - 1)))
    let labels = batch.labels.doubles
    #expect(counted.map { Int(labels[$0]) } == Array(sample.ids[sample.answerStart...]))

    // Surgery samples: no system turn; truncation keeps the user marker and the end of turn.
    let bare = ChatEncoder(tokenizer: tokenizer, system: .none, maxLength: 8)
    let cut = try bare.encode(pair)
    #expect(cut.ids.count == 8)
    #expect(try tokenizer.decode(cut.ids).hasPrefix("<|im_start|>user"))
    #expect(cut.ids.last == tokenizer.eosTokenId)
  }

  @Test func truncationKeepsThePromptsEndsAndTheEndOfTurn() {
    // Prompt 1…10, answer 20…25 with end of turn 99.
    let ids = Array(1...10) + Array(20...25) + [99]
    // Room for the whole answer: the prompt loses its middle.
    let a = ChatEncoder.truncated(ids, answerStart: 10, maxLength: 13)
    #expect(a.ids == [1, 2, 3, 8, 9, 10, 20, 21, 22, 23, 24, 25, 99] && a.answerStart == 6)
    // No room: the prompt keeps half the length, the answer its start and its end of turn.
    let b = ChatEncoder.truncated(ids, answerStart: 10, maxLength: 8)
    #expect(b.ids == [1, 2, 9, 10, 20, 21, 22, 99] && b.answerStart == 4)
    // Short enough: unchanged.
    #expect(ChatEncoder.truncated(ids, answerStart: 10, maxLength: 40).ids == ids)
  }
}
