import ArgumentParser
import Foundation
import Models

/// `scalpel generate`: continue a prompt with a language model, streaming the tokens.
struct GenerateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Generate text from a prompt, streaming tokens as they come.",
    discussion: """
      Greedy by default; --temperature T (> 0) samples with top-p (nucleus) filtering, \
      reproducibly for a given --seed. Generation stops at the end-of-sequence token \
      (<|im_end|> for chat models) or after --max-new-tokens. Timing goes to standard error.
      """)

  @OptionGroup var model: ModelOptions
  @Option(help: "The prompt text.") var prompt: String
  @Flag(help: "Wrap the prompt in the model's chat template (ChatML).") var chat = false
  @Option(help: "The system prompt with --chat (default: the model's).") var system: String?
  @Option(help: "The most tokens to generate.") var maxNewTokens: Int = 128
  @Option(help: "Sampling temperature; 0 is greedy.") var temperature: Double = 0
  @Option(help: "Nucleus sampling: keep the most likely tokens up to this probability.")
  var topP: Double = 1
  @Option(help: "Seed of the sampler.") var seed: UInt64 = 0

  func validate() throws {
    guard maxNewTokens >= 1 else { throw ValidationError("--max-new-tokens must be at least 1") }
    guard temperature >= 0 else { throw ValidationError("--temperature must not be negative") }
    guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
  }

  func run() throws {
    let backend = try model.selectedBackend()
    let clock = ContinuousClock()
    let start = clock.now
    let loaded = try model.loadLanguageModel()
    let loadTime = clock.now - start
    let text = try promptText(prompt, chat: chat, system: system, model: loaded)
    let ids = loaded.tokenizer.encode(text)
    let generator = TextGenerator(loaded, backend: backend)
    let options = GenerationOptions(
      maxNewTokens: maxNewTokens,
      sampling: temperature == 0 ? .greedy : .nucleus(temperature: temperature, topP: topP),
      seed: seed, stopTokenIds: loaded.stopTokenIds)
    var stream = TextStream(tokenizer: loaded.tokenizer)
    var streamError: (any Error)?
    let generationStart = clock.now
    var firstToken: ContinuousClock.Instant?
    let results = try failing {
      try generator.generate([ids], options: options) { _, token in
        if firstToken == nil { firstToken = clock.now }
        do {
          emit(try stream.append(token))
        } catch {
          streamError = error
        }
      }
    }
    emit(stream.finish() + "\n")
    if let streamError { throw CommandFailure("\(streamError)") }
    let total = seconds(clock.now - generationStart)
    let count = results.first?.tokens.count ?? 0
    let reason: String
    switch results.first?.finishReason {
    case .stopToken(let id): reason = "stop token \(id)"
    default: reason = "max tokens"
    }
    let firstSeconds = firstToken.map { seconds($0 - generationStart) } ?? total
    let rate = count > 1 ? Double(count - 1) / max(total - firstSeconds, 1e-9) : 0
    let timing = String(
      format: "load %.2f s, first token %.2f s, %.1f tokens/s after it", seconds(loadTime),
      firstSeconds, rate)
    FileHandle.standardError.write(
      Data("[\(ids.count) prompt tokens, \(count) generated (\(reason)); \(timing)]\n".utf8))
  }
}
