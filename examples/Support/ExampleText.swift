import Data
import Foundation
import Models
import Runtime
import Training

/// The examples' text, tokenized with SmolLM2's tokenizer: GSM8K question/answer pairs in the
/// chat template (loss on the answers), Surgery's harmful (BeaverTails unsafe) and safe
/// (refusal) pools without a system prompt, and held-out pairs of each for the sink table.
struct ExampleText {
  var tokenizer: ByteLevelBPETokenizer
  var tokenizerPath: String
  var dataRoot: String
  var samples: [EncodedSample]
  var pools: SurgeryPools
  var sinkHarmful: [EncodedSample]
  var sinkSafe: [EncodedSample]

  /// Pairs per Surgery pool.
  static let poolSize = 64

  /// SmolLM2's tokenizer from the model cache (`scripts/fetch-models smollm2` fills it) and
  /// the GGUF file it was read from.
  static func tokenizer() throws -> (ByteLevelBPETokenizer, path: String) {
    let store = ModelStore(cacheDirectory: CacheLocation.root())
    let location = try store.locate(.known(.smolLM2))
    return (try ByteLevelBPETokenizer(gguf: try GGUFFile(path: location.path)), location.path)
  }

  init(options: ExampleOptions, tokenizer: ByteLevelBPETokenizer, path: String) throws {
    self.tokenizer = tokenizer
    tokenizerPath = path
    let data = try DataDirectory.resolve(
      option: options.data, environment: ProcessInfo.processInfo.environment)
    dataRoot = data.root
    let chat = ChatEncoder(
      tokenizer: tokenizer, system: .custom(ChatEncoder.fineTuningSystemPrompt),
      maxLength: options.length)
    let problems = try data.benign(.gsm8k).prefix(options.steps * options.batch)
    samples = try problems.map { try chat.encode($0) }
    let bare = ChatEncoder(tokenizer: tokenizer, system: .none, maxLength: options.length)
    let harmful = try data.harmful()
    let refusals = try data.refusals()
    let held = options.sinkSamples
    guard harmful.count >= held + Self.poolSize, refusals.count >= held + Self.poolSize else {
      throw TrainingError("the data directory has too few harmful or refusal pairs")
    }
    sinkHarmful = try harmful.prefix(held).map { try bare.encode($0) }
    sinkSafe = try refusals.prefix(held).map { try bare.encode($0) }
    pools = SurgeryPools(
      harmful: try harmful.dropFirst(held).prefix(Self.poolSize).map { try bare.encode($0) },
      safe: try refusals.dropFirst(held).prefix(Self.poolSize).map { try bare.encode($0) })
  }
}
