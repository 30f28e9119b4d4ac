import IR
import Models
import Runtime
import Testing

// The README's "Define your own architecture" example, verbatim: keep the two in sync.

/// A feed-forward block with a squared-ReLU activation: `down(relu(up(x))²)`.
struct SquaredReLUFeedForward: Layer {
  var name: String
  var dimension: Int

  func callAsFunction(_ x: Value, in m: ModelBuilder) -> Value {
    let b = m.graph
    let h = b.relu(Linear("\(name).up", dimension, 4 * dimension)(x, in: m))
    return Linear("\(name).down", 4 * dimension, dimension)(b.mul(h, h), in: m)
  }
}

/// A pre-norm decoder block: causal self-attention, then the feed-forward, each with a residual.
struct TinyDecoderBlock {
  var name: String
  var dimension: Int
  var heads: Int

  func callAsFunction(_ x: Value, mask: Value, in m: ModelBuilder) -> Value {
    let b = m.graph
    let attention = SelfAttention(
      names: ("\(name).q", "\(name).k", "\(name).v", "\(name).o"), dimension: dimension,
      heads: heads)
    let (attended, _) = attention(RMSNorm("\(name).norm1", dimension)(x, in: m), mask: mask, in: m)
    let h = b.add(x, attended)
    let ff = SquaredReLUFeedForward(name: "\(name).ff", dimension: dimension)
    return b.add(h, ff(RMSNorm("\(name).norm2", dimension)(h, in: m), in: m))
  }
}

/// Embedding, two blocks, LM head: a graph with inputs `tokens` and the weights.
func tinyDecoderGraph(tokens count: Int) throws -> (graph: Graph, weights: [String]) {
  let m = ModelBuilder(name: "tiny_decoder")
  let tokens = m.input("tokens", TensorType(.i32, [1, count]))
  var x = Embedding("embed", 100, 32)(tokens, in: m)
  let mask = AttentionMasks.causal(batch: 1, tokens: count, in: m.graph)
  for i in 0..<2 {
    x = TinyDecoderBlock(name: "block\(i)", dimension: 32, heads: 4)(x, mask: mask, in: m)
  }
  let logits = Linear("head", 32, 100)(x, in: m)
  return (try m.graph.build(results: [("logits", logits)]), m.weightNames)
}

@Suite struct CustomArchitectureTests {
  @Test func theReadmeDecoderBuildsAndRuns() throws {
    let (graph, weightNames) = try tinyDecoderGraph(tokens: 8)
    #expect(weightNames.count == 1 + 2 * 8 + 1)
    var random = SeededRandom(seed: 3)
    var inputs: [String: HostTensor] = [
      "tokens": try HostTensor(shape: [1, 8], (0..<8).map { Int32($0 * 11) })
    ]
    for p in graph.parameters where p.name != "tokens" {
      inputs[p.name] = try HostTensor(
        shape: p.type.shape, (0..<p.type.count).map { _ in Float(random.nextUnitInterval()) - 0.5 })
    }
    let executable = try InterpreterBackend().prepare(graph)
    let logits = try #require(try executable.run(inputs)["logits"])
    #expect(logits.shape == [1, 8, 100])
    #expect(logits.doubles.allSatisfy { $0.isFinite })
  }
}

extension CustomArchitectureTests {
  @Test func theReadmeShowsThisCode() throws {
    let readme = try String(contentsOfFile: repositoryRoot + "/README.md", encoding: .utf8)
    let source = try String(contentsOfFile: #filePath, encoding: .utf8)
    let section = try #require(
      readme.components(separatedBy: "## Define your own architecture").last)
    let block = try #require(section.components(separatedBy: "```swift\n").dropFirst().first)
    let code = try #require(block.components(separatedBy: "```").first)
      .replacingOccurrences(of: "import IR\nimport Models\n\n", with: "")
    #expect(source.contains(code), "README.md's example differs from this file")
  }
}
