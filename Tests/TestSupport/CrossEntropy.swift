import IR
import Runtime

/// Cross-entropy over 64 classes of a `[4, 8]` batch (logits `x·w` viewed as `[4, 8, 64]`), as
/// IR text: differentiated, its `take_along_axis` one-hot and cotangent broadcasts feed both the
/// row sum and the `log_softmax` gradient.
public let crossEntropyIR = """
  graph @ce(%x: f32[32,32] input, %labels: i32[4,8,1] input, %w: f32[32,64] weight) -> (loss: f32[]) {
    %l2 = matmul %x, %w : f32[32,64]
    %logits = reshape %l2 {shape = [4, 8, 64]} : f32[4,8,64]
    %logp = log_softmax %logits {axis = 2} : f32[4,8,64]
    %picked = take_along_axis %logp, %labels {axis = 2} : f32[4,8,1]
    %nll = reduce_mean %picked {axes = [0, 1, 2]} : f32[]
    %loss = neg %nll : f32[]
    return %loss
  }
  """

/// Inputs for `crossEntropyIR`: x and w uniform in [−1, 1), labels spread over the 64 classes.
public func crossEntropyInputs(seed: UInt64) throws -> [String: HostTensor] {
  var rng = SeededGenerator(seed: seed)
  func uniform(_ shape: [Int]) throws -> HostTensor {
    let type = TensorType(.f32, shape)
    return try HostTensor(
      type, doubles: (0..<type.count).map { _ in Double.random(in: -1..<1, using: &rng) })
  }
  return [
    "x": try uniform([32, 32]), "w": try uniform([32, 64]),
    "labels": try HostTensor(
      TensorType(.i32, [4, 8, 1]), doubles: (0..<32).map { Double($0 * 7 % 64) }),
  ]
}
