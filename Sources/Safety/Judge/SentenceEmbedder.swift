import Foundation
import IR
import Models
import Runtime

/// Sentence embeddings from Scalpel's own BERT graph (all-MiniLM-L6-v2), run through a `Backend`.
///
/// Texts are tokenized (WordPiece, truncated to `maxTokens` with `[CLS]`/`[SEP]`), sorted by
/// length so each batch pads little, padded to a multiple of 8 tokens with `[PAD]` and an
/// attention mask of 0, and embedded `batchSize` at a time. One prepared graph per
/// (batch, padded length) shape is kept. Results come back in the order of the input texts.
public final class SentenceEmbedder: TextEncoder {
  /// The encoder's hyper-parameters.
  public let config: BertConfig
  /// The encoder's tokenizer.
  public let tokenizer: WordPieceTokenizer
  /// The encoder's weights by Hugging Face name.
  public let weights: [String: HostTensor]
  /// The backend running the embedding graphs.
  public let backend: any Backend
  /// Tokens per text, `[CLS]` and `[SEP]` included.
  public let maxTokens: Int
  /// Texts per graph run.
  public let batchSize: Int
  /// Identifies model and settings in embedding-cache keys.
  public let identity: String

  private var executables: [[Int]: any GraphExecutable] = [:]

  /// An embedder from loaded parts.
  public init(
    config: BertConfig, tokenizer: WordPieceTokenizer, weights: [String: HostTensor],
    backend: any Backend = InterpreterBackend(), maxTokens: Int = 128, batchSize: Int = 16,
    identity: String = "custom"
  ) throws(SafetyError) {
    guard maxTokens >= 2, maxTokens <= config.maxPositions else {
      throw SafetyError("maxTokens must be in 2...\(config.maxPositions), got \(maxTokens)")
    }
    guard batchSize >= 1 else { throw SafetyError("batchSize must be positive, got \(batchSize)") }
    var tokenizer = tokenizer
    tokenizer.maxLength = maxTokens
    self.config = config
    self.tokenizer = tokenizer
    self.weights = weights
    self.backend = backend
    self.maxTokens = maxTokens
    self.batchSize = batchSize
    self.identity = "\(identity)/t\(maxTokens)"
  }

  /// all-MiniLM-L6-v2 from a directory holding `model.safetensors` and `tokenizer.json`.
  public convenience init(
    miniLMDirectory directory: String, backend: any Backend = InterpreterBackend(),
    maxTokens: Int = 128, batchSize: Int = 16
  ) throws(SafetyError) {
    let weights: [String: HostTensor]
    let tokenizer: WordPieceTokenizer
    do {
      weights = try SafetensorsFile(path: directory + "/model.safetensors").allTensors()
      tokenizer = try WordPieceTokenizer(tokenizerJSON: directory + "/tokenizer.json")
    } catch {
      throw SafetyError("cannot load MiniLM: \(error)", file: directory)
    }
    try self.init(
      config: .miniLM, tokenizer: tokenizer, weights: weights, backend: backend,
      maxTokens: maxTokens, batchSize: batchSize, identity: "all-MiniLM-L6-v2")
  }

  /// The embedding dimension.
  public var dimension: Int { config.dimension }
  /// The heads read the whole embedding.
  public var featureCount: Int { config.dimension }
  /// A sentence encoder gives no verdict of its own.
  public var verdictIndex: Int? { nil }

  /// `embed`, as a `TextEncoder`.
  public func encode(_ texts: [String], progress: ((Int) -> Void)?) throws(SafetyError)
    -> [[Float]]
  {
    try embed(texts, progress: progress)
  }

  /// Unit-length embeddings of `texts`, in order; `progress` receives the number done so far.
  public func embed(_ texts: [String], progress: ((Int) -> Void)? = nil) throws(SafetyError)
    -> [[Float]]
  {
    let ids = texts.map { tokenizer.encode($0) }
    let order = ids.indices.sorted { (ids[$0].count, $0) < (ids[$1].count, $1) }
    var out = [[Float]](repeating: [], count: texts.count)
    var done = 0
    for start in stride(from: 0, to: order.count, by: batchSize) {
      let members = Array(order[start..<min(start + batchSize, order.count)])
      let longest = members.map { ids[$0].count }.max() ?? 2
      let length = min(max(8, (longest + 7) / 8 * 8), maxTokens)
      let vectors = try run(members.map { ids[$0] }, length: length)
      for (k, i) in members.enumerated() { out[i] = vectors[k] }
      done += members.count
      progress?(done)
    }
    return out
  }

  /// Embeds one padded batch.
  private func run(_ batch: [[Int]], length: Int) throws(SafetyError) -> [[Float]] {
    let b = batch.count
    let pad = Int32(tokenizer.paddingTokenId ?? 0)
    var tokens = [Int32](repeating: pad, count: b * length)
    var mask = [Int32](repeating: 0, count: b * length)
    for (row, sequence) in batch.enumerated() {
      for (t, id) in sequence.prefix(length).enumerated() {
        tokens[row * length + t] = Int32(id)
        mask[row * length + t] = 1
      }
    }
    do {
      let executable = try prepared(batch: b, length: length)
      var inputs: [String: HostTensor] = [:]
      for p in executable.graph.parameters {
        if let w = weights[p.name] { inputs[p.name] = w }
      }
      inputs["tokens"] = try HostTensor(shape: [b, length], tokens)
      inputs["attention_mask"] = try HostTensor(shape: [b, length], mask)
      let result = try executable.run(inputs)
      guard let e = result["embeddings"]?.array(of: Float.self), e.count == b * dimension else {
        throw SafetyError("the embedding graph returned no f32 [\(b), \(dimension)] result")
      }
      return (0..<b).map { Array(e[($0 * dimension)..<(($0 + 1) * dimension)]) }
    } catch let error as SafetyError {
      throw error
    } catch {
      throw SafetyError("embedding a batch of \(b)×\(length) tokens failed: \(error)")
    }
  }

  private func prepared(batch: Int, length: Int) throws -> any GraphExecutable {
    if let e = executables[[batch, length]] { return e }
    let (graph, names) = try Bert(config).embeddingGraph(batch: batch, tokens: length)
    if let missing = names.first(where: { weights[$0] == nil }) {
      throw SafetyError("the encoder weights have no tensor '\(missing)'")
    }
    let e = try backend.prepare(graph)
    executables[[batch, length]] = e
    return e
  }
}
