import Foundation
import Runtime

/// Scalpel's checkpoint directory: Hugging Face's layout, so other tools read it too.
///
///     config.json         the model's configuration (`LanguageModel.configJSON`; Hugging
///                         Face's for known families, e.g. LlamaForCausalLM)
///     model.safetensors   weights with Hugging Face names (f32)
///     tokenizer.json      copied, when the source has one; otherwise config.json records the
///                         GGUF file holding the tokenizer under `scalpel_tokenizer_gguf`
public enum ScalpelCheckpoint {
  /// The `config.json` key naming the GGUF file that holds the tokenizer.
  public static let tokenizerKey = "scalpel_tokenizer_gguf"

  /// Where a checkpoint's tokenizer comes from.
  public enum TokenizerSource: Sendable, Hashable {
    /// A `tokenizer.json` to copy into the directory.
    case tokenizerJSON(String)
    /// A GGUF file whose tokenizer to use (its absolute path is recorded).
    case gguf(String)
  }

  /// The tokenizer source of a loaded model: its `tokenizer.json`, or its GGUF file.
  public static func tokenizerSource(of location: ModelLocation) throws(ModelError)
    -> TokenizerSource
  {
    switch location.format {
    case .gguf: return .gguf(location.path)
    case .directory:
      let json = location.file("tokenizer.json")
      if FileManager.default.fileExists(atPath: json) { return .tokenizerJSON(json) }
      let config = try readJSONObject(location.file("config.json"))
      guard let recorded = config[tokenizerKey] as? String else {
        throw ModelError("no tokenizer.json and no '\(tokenizerKey)'", file: location.path)
      }
      return .gguf(recorded.hasPrefix("/") ? recorded : location.file(recorded))
    }
  }

  /// Writes a checkpoint of `model` with `weights` (by name) into `directory` (created).
  public static func write(
    model: any LanguageModel, weights: [String: HostTensor], tokenizer: TokenizerSource?,
    to directory: String
  ) throws(ModelError) {
    var json: [String: Any]
    do {
      json = try model.configJSON()
    } catch {
      throw ModelError(error.message, file: directory, key: error.key)
    }
    json["model_type"] = model.modelType
    do {
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw ModelError(
        "cannot create the directory: \(error.localizedDescription)", file: directory)
    }
    switch tokenizer {
    case .tokenizerJSON(let source):
      let target = directory + "/tokenizer.json"
      do {
        if FileManager.default.fileExists(atPath: target) {
          try FileManager.default.removeItem(atPath: target)
        }
        try FileManager.default.copyItem(atPath: source, toPath: target)
      } catch {
        throw ModelError("cannot copy the tokenizer: \(error.localizedDescription)", file: source)
      }
    case .gguf(let path):
      json[tokenizerKey] = URL(fileURLWithPath: path).standardizedFileURL.path
    case nil:
      break  // weights only: loading it as a language model asks for a tokenizer
    }
    let configPath = directory + "/config.json"
    do {
      let data = try JSONSerialization.data(
        withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
      try data.write(to: URL(fileURLWithPath: configPath), options: .atomic)
    } catch {
      throw ModelError("cannot write: \(error.localizedDescription)", file: configPath)
    }
    try SafetensorsWriter.write(
      weights, metadata: ["format": "pt"], to: directory + "/model.safetensors")
  }
}
