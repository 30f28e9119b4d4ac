import Foundation
import IR
import Runtime

/// A causal language model ready to run: configuration, f32 weights by Hugging Face name,
/// tokenizer, chat template and the tokens that end a generation.
public struct LoadedLanguageModel: Sendable {
  /// Where it was loaded from.
  public var location: ModelLocation
  public var config: LlamaConfig
  /// Every weight the Llama graphs take, by Hugging Face name.
  public var weights: [String: HostTensor]
  public var tokenizer: ByteLevelBPETokenizer
  /// ChatML when the vocabulary has `<|im_start|>` and `<|im_end|>`, else nil.
  public var chatTemplate: ChatTemplate?
  /// End-of-sequence ids: the tokenizer's, `config.json`'s `eos_token_id` and `<|im_end|>`.
  public var stopTokenIds: Set<Int>

  /// A model from its parts (weights are checked against the graphs' parameters).
  public init(
    location: ModelLocation, config: LlamaConfig, weights: [String: HostTensor],
    tokenizer: ByteLevelBPETokenizer, chatTemplate: ChatTemplate?, stopTokenIds: Set<Int>
  ) throws(ModelError) {
    try Self.check(weights, config: config, file: location.path)
    self.location = location
    self.config = config
    self.weights = weights
    self.tokenizer = tokenizer
    self.chatTemplate = chatTemplate
    self.stopTokenIds = stopTokenIds
  }

  /// Loads the model at `location`: a Llama GGUF file (dequantized to f32; `ropeLayout` says
  /// whether to undo llama.cpp's q/k permutation) or a Llama model directory.
  public init(_ location: ModelLocation, ropeLayout: RotaryLayout = .rotateHalf)
    throws(ModelError)
  {
    let config: LlamaConfig
    let weights: [String: HostTensor]
    let tokenizer: ByteLevelBPETokenizer
    var stop: Set<Int> = []
    switch location.format {
    case .gguf:
      let gguf = try GGUFFile(path: location.path)
      config = try LlamaCheckpoint.config(gguf, layout: ropeLayout)
      weights = try LlamaCheckpoint.weights(gguf, config: config)
      tokenizer = try ByteLevelBPETokenizer(gguf: gguf)
    case .directory:
      let configPath = location.file("config.json")
      let json = try readJSONObject(configPath)
      if let type = json["model_type"] as? String, type != "llama" {
        throw ModelError(
          "model_type '\(type)' is not a causal language model this loader supports ('llama')",
          file: configPath, key: "model_type")
      }
      config = try LlamaCheckpoint.config(huggingFaceJSON: configPath)
      weights = try SafetensorsFile(path: location.file("model.safetensors")).allTensors()
      guard case .byteLevelBPE(let t) = try TextTokenizer(location) else {
        throw ModelError("a Llama model needs a byte-level BPE tokenizer", file: location.path)
      }
      tokenizer = t
      if let id = json["eos_token_id"] as? Int { stop.insert(id) }
      if let ids = json["eos_token_id"] as? [Int] { stop.formUnion(ids) }
    }
    if let eos = tokenizer.eosTokenId { stop.insert(eos) }
    let chatML = tokenizer.id(of: "<|im_start|>") != nil && tokenizer.id(of: "<|im_end|>") != nil
    if let end = tokenizer.id(of: "<|im_end|>") { stop.insert(end) }
    try self.init(
      location: location, config: config, weights: weights, tokenizer: tokenizer,
      chatTemplate: chatML ? .smolLM2 : nil, stopTokenIds: stop)
  }

  /// Every weight the forward graph takes is present with its type; extra tensors are allowed.
  static func check(_ weights: [String: HostTensor], config: LlamaConfig, file: String)
    throws(ModelError)
  {
    let graph: Graph
    do {
      graph = try Llama(config).forwardGraph(batch: 1, tokens: 1)
    } catch {
      throw ModelError("the configuration does not build a graph: \(error)", file: file)
    }
    for p in graph.weights {
      guard let t = weights[p.name] else {
        throw ModelError("missing weight (expected \(p.type))", file: file, tensor: p.name)
      }
      guard t.type == p.type else {
        throw ModelError("expected \(p.type), found \(t.type)", file: file, tensor: p.name)
      }
    }
  }

  /// The model's graphs, for the training stack.
  public var architecture: any LanguageModel { Llama(config) }

  /// The number of weights (elements) the model uses.
  public var parameterCount: Int { weights.values.reduce(0) { $0 + $1.count } }
}

extension LoadedLanguageModel {
  /// The file the tokenizer comes from: the GGUF file or a `tokenizer.json`.
  public func tokenizerPath() throws(ModelError) -> String {
    switch try ScalpelCheckpoint.tokenizerSource(of: location) {
    case .gguf(let path), .tokenizerJSON(let path): return path
    }
  }
}
