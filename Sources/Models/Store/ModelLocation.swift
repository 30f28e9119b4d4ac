import Foundation

/// How a model is stored on disk.
public enum ModelFormat: String, Sendable, Hashable, Codable {
  /// One GGUF file: configuration, tokenizer and (possibly quantized) weights.
  case gguf
  /// A directory with `config.json` (Hugging Face format), `model.safetensors` and a tokenizer:
  /// a Hugging Face model directory or a Scalpel checkpoint.
  case directory
}

/// A resolved model: its format and the file or directory holding it.
public struct ModelLocation: Sendable, Hashable {
  public var format: ModelFormat
  /// The `.gguf` file or the model directory.
  public var path: String

  public init(format: ModelFormat, path: String) {
    self.format = format
    self.path = path
  }

  /// The model at `path`: a `.gguf` file (checked by its magic bytes) or a directory holding
  /// `config.json` and `model.safetensors`; throws a sentence saying what is missing otherwise.
  public static func detect(_ path: String) throws(ModelError) -> ModelLocation {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ModelError("no such file or directory", file: path)
    }
    if isDirectory.boolValue {
      // A training output directory: its model is in checkpoint/.
      if !FileManager.default.fileExists(atPath: path + "/config.json"),
        FileManager.default.fileExists(atPath: path + "/checkpoint/config.json")
      {
        return try detect(path + "/checkpoint")
      }
      let missing = ["config.json", "model.safetensors"].filter {
        !FileManager.default.fileExists(atPath: path + "/" + $0)
      }
      guard missing.isEmpty else {
        throw ModelError(
          "not a model directory: \(missing.joined(separator: " and ")) missing (a model "
            + "directory holds config.json, model.safetensors and tokenizer.json)", file: path)
      }
      return ModelLocation(format: .directory, path: path)
    }
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw ModelError("cannot open the file", file: path)
    }
    defer { try? handle.close() }
    let magic = (try? handle.read(upToCount: 4)) ?? nil
    guard magic == Data("GGUF".utf8) else {
      throw ModelError(
        "not a GGUF file (it does not start with 'GGUF'); give a .gguf file or a model "
          + "directory (config.json + model.safetensors + tokenizer.json)", file: path)
    }
    return ModelLocation(format: .gguf, path: path)
  }

  /// `path/name` for a directory model.
  func file(_ name: String) -> String { path + "/" + name }
}
