import ArgumentParser
import Foundation
import Models

/// `scalpel inspect`: architecture, configuration and tensors of a model file.
struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Show a model's architecture, configuration, tensors and parameter count.")

  @Argument(help: "A known model (smollm2, minilm), a .gguf file or a model directory.")
  var model: String
  @Flag(help: "Print JSON instead of text.") var json = false

  func run() throws {
    let description = try failing { () throws(ModelError) in
      try ModelDescription(try ModelOptions.store().locate(ModelReference(model)))
    }
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      print(String(decoding: try encoder.encode(description), as: UTF8.self))
      return
    }
    print("model: \(description.path)")
    print("format: \(description.format.rawValue)")
    print("architecture: \(description.architecture)")
    if let tokenizer = description.tokenizer { print("tokenizer: \(tokenizer)") }
    print("configuration:")
    for (name, value) in description.configurationLines { print("  \(name): \(value)") }
    let millions = Double(description.parameterCount) / 1e6
    print("parameters: \(description.parameterCount) (\(String(format: "%.1f", millions)) M)")
    print("tensors (\(description.tensors.count)):")
    let width = description.tensors.map(\.name.count).max() ?? 0
    for t in description.tensors {
      let padded = t.name.padding(toLength: width, withPad: " ", startingAt: 0)
      print("  \(padded)  \(t.type.padding(toLength: 5, withPad: " ", startingAt: 0)) \(t.shape)")
    }
  }
}
