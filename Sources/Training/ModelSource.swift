import Foundation
import Models
import Runtime

/// A model to fine-tune: its configuration, weights (Hugging Face names), tokenizer and where
/// they came from.
public struct LoadedModel: Sendable {
  public var config: LlamaConfig
  public var weights: [String: HostTensor]
  public var tokenizer: ByteLevelBPETokenizer
  /// The file or directory the tokenizer was read from (recorded in checkpoints).
  public var tokenizerSource: String
  /// What `--model` resolved to.
  public var source: String

  /// Loads `spec`: `smollm2` (the cached SmolLM2-135M-Instruct GGUF), a `.gguf` file, a Hugging
  /// Face directory (`config.json`, `model.safetensors`, `tokenizer.json`), or a Scalpel
  /// checkpoint directory (a training output directory holding `checkpoint/`, or the
  /// checkpoint itself).
  public static func load(_ spec: String, cacheDirectory: String? = nil) throws -> LoadedModel {
    let fm = FileManager.default
    let cache = cacheDirectory ?? NSHomeDirectory() + "/.cache/scalpel"
    var path = spec
    if spec == "smollm2" {
      path = cache + "/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
      guard fm.fileExists(atPath: path) else {
        throw TrainingError("model 'smollm2' is not cached at \(path); fetch it with scripts/fetch-models smollm2")
      }
    }
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw TrainingError("model '\(spec)' not found: expected 'smollm2', a .gguf file or a directory")
    }
    if !isDirectory.boolValue {
      guard path.hasSuffix(".gguf") else { throw TrainingError("\(path): model files must be .gguf") }
      let gguf = try GGUFFile(path: path)
      let config = try LlamaCheckpoint.config(gguf)
      return LoadedModel(
        config: config, weights: try LlamaCheckpoint.weights(gguf, config: config),
        tokenizer: try ByteLevelBPETokenizer(gguf: gguf), tokenizerSource: path, source: path)
    }
    if fm.fileExists(atPath: path + "/checkpoint/trainer_state.json") { path += "/checkpoint" }
    if fm.fileExists(atPath: path + "/trainer_state.json") {
      let checkpoint = try TrainingCheckpoint.read(from: path)
      guard let tokenizerPath = checkpoint.metadata.sources["tokenizer"] else {
        throw TrainingError("\(path)/trainer_state.json records no tokenizer source")
      }
      return LoadedModel(
        config: checkpoint.metadata.model, weights: checkpoint.weights,
        tokenizer: try loadTokenizer(tokenizerPath), tokenizerSource: tokenizerPath, source: path)
    }
    guard fm.fileExists(atPath: path + "/config.json"), fm.fileExists(atPath: path + "/model.safetensors") else {
      throw TrainingError("\(path) is neither a Scalpel checkpoint nor a Hugging Face directory (config.json + model.safetensors)")
    }
    let config = try LlamaCheckpoint.config(huggingFaceJSON: path + "/config.json")
    return LoadedModel(
      config: config, weights: try SafetensorsFile(path: path + "/model.safetensors").allTensors(),
      tokenizer: try loadTokenizer(path + "/tokenizer.json"), tokenizerSource: path + "/tokenizer.json",
      source: path)
  }

  /// A tokenizer from a GGUF file or a `tokenizer.json` (SmolLM2's `<|im_end|>` as EOS).
  public static func loadTokenizer(_ path: String) throws -> ByteLevelBPETokenizer {
    guard FileManager.default.fileExists(atPath: path) else { throw TrainingError("tokenizer \(path) not found") }
    if path.hasSuffix(".gguf") { return try ByteLevelBPETokenizer(gguf: try GGUFFile(path: path)) }
    return try ByteLevelBPETokenizer(tokenizerJSON: path, bosToken: "<|im_start|>", eosToken: "<|im_end|>")
  }
}
