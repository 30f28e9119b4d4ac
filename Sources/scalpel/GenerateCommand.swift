import ArgumentParser
import Foundation
import Models
import Safety

/// `scalpel generate`: continue a prompt with a language model, streaming the tokens.
struct GenerateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Generate text from a prompt (streaming), or answers for a file of prompts.",
    discussion: """
      With --in PROMPTS.jsonl --out ANSWERS.jsonl: reads {"prompt"} lines, answers them greedily \
      in batches of --batch with the KV cache (up to --max-new-tokens each) and writes \
      {"prompt", "response"} lines atomically, progress on standard error; the experiment's \
      generation step calls the same function. With --prompt: greedy by default; --temperature T (> 0) samples with top-p (nucleus) filtering, \
      reproducibly for a given --seed. Generation stops at the end-of-sequence token \
      (<|im_end|> for chat models) or after --max-new-tokens. Timing goes to standard error.
      """)

  @OptionGroup var model: ModelOptions
  @Option(help: "The prompt text.") var prompt: String?
  @Option(name: .customLong("in"), help: "Prompts to answer (JSON Lines with \"prompt\").")
  var input: String?
  @Option(help: "Where to write the answers (JSON Lines: prompt, response).") var out: String?
  @Option(help: "Prompts per generation batch with --in.") var batch: Int = 8
  @Flag(help: "Wrap the prompt in the model's chat template (ChatML).") var chat = false
  @Option(help: "The system prompt with --chat (default: the model's).") var system: String?
  @Option(help: "The most tokens to generate.") var maxNewTokens: Int = 128
  @Option(help: "Sampling temperature; 0 is greedy.") var temperature: Double = 0
  @Option(help: "Nucleus sampling: keep the most likely tokens up to this probability.")
  var topP: Double = 1
  @Option(help: "Seed of the sampler.") var seed: UInt64 = 0

  func validate() throws {
    if (input == nil) != (out == nil) { throw ValidationError("--in and --out go together") }
    if (input == nil) == (prompt == nil) {
      throw ValidationError("give either --prompt or --in PROMPTS.jsonl --out ANSWERS.jsonl")
    }
    if input != nil && temperature != 0 {
      throw ValidationError("--in answers greedily: --temperature does not apply")
    }
    guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    guard maxNewTokens >= 1 else { throw ValidationError("--max-new-tokens must be at least 1") }
    guard temperature >= 0 else { throw ValidationError("--temperature must not be negative") }
    guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
  }

  func run() throws {
    if let input, let out { return try answerFile(input, out) }
    guard let prompt else { throw ValidationError("--prompt is missing") }
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

  /// `--in`/`--out`: answers every prompt of a file.
  func answerFile(_ input: String, _ out: String) throws {
    let prompts = try BatchAnswers.readPrompts(input)
    let backend = try model.selectedBackend()
    let loaded = try model.loadLanguageModel()
    if !chat && system != nil { throw ValidationError("--system needs --chat") }
    if chat && loaded.chatTemplate == nil {
      throw CommandFailure("\(loaded.location.path): this model has no chat template")
    }
    let answering = BatchAnswers(
      model: loaded, backend: backend, template: chat ? loaded.chatTemplate : nil,
      system: system.map { .custom($0) } ?? .standard, maxNewTokens: maxNewTokens, batch: batch)
    var bar = ProgressBar(total: prompts.count, label: "answers")
    let answers = try answering.answers(prompts) { done, _ in bar.update(done, fields: "") }
    try BatchAnswers.write(prompts: prompts, answers: answers, to: out)
    print("wrote \(prompts.count) answers to \(out)")
  }
}
