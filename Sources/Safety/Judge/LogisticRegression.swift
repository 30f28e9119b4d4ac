import Foundation
import IR
import Passes
import Runtime

/// A logistic-regression head: `p(harmful | x) = sigmoid(x · w + b)`.
public struct LogisticHead: Sendable, Hashable, Codable {
  /// The weights, one per feature.
  public var weights: [Float]
  /// The bias.
  public var bias: Float

  public init(weights: [Float], bias: Float) {
    self.weights = weights
    self.bias = bias
  }

  /// The feature count.
  public var dimension: Int { weights.count }

  /// Probabilities for `features` (rows of `dimension` values), computed by a Scalpel graph.
  public func probabilities(_ features: [[Float]], backend: any Backend = InterpreterBackend())
    throws(SafetyError) -> [Double]
  {
    guard !features.isEmpty else { return [] }
    let graph = try LogisticRegression.graph(rows: features.count, dimension: dimension)
    let labels = [Float](repeating: 0, count: features.count)
    let out = try LogisticRegression.run(
      graph, backend: backend, features: features, labels: labels,
      sampleWeights: labels.map { _ in 1 }, head: self, l2: 0)
    return out.probabilities
  }
}

/// Options of `LogisticRegression.train`.
public struct LogisticRegressionOptions: Sendable, Hashable, Codable {
  /// Adam steps over the whole training set.
  public var steps = 400
  /// Adam learning rate.
  public var learningRate = 0.02
  /// Adam moment decay rates.
  public var beta1 = 0.9
  public var beta2 = 0.999
  /// L2 penalty on the weights (not the bias).
  public var l2 = 1e-4
  /// Evaluate the validation loss every this many steps and keep the best head.
  public var evaluateEvery = 10

  public init() {}
}

/// Trains a logistic-regression head in Scalpel: a small graph for the class-weighted binary
/// cross-entropy, differentiated by the `grad` pass, run on a `Backend`; Adam updates the
/// parameters between runs (full batch).
///
/// Loss: `Σ_i s_i · (relu(z_i) − z_i·y_i + log(1 + exp(−|z_i|))) / Σ_i s_i + l2 · |w|²` with
/// `z = X·w + b`, the numerically stable form of `−y log σ(z) − (1−y) log(1−σ(z))`.
public enum LogisticRegression {
  /// The training graph for `rows × dimension` features: parameters `x`, `y`, `s`, `w`
  /// (`[D, 1]`), `b` (scalar), `l2` (scalar); results `loss`, `probabilities`, `grad_w`, `grad_b`.
  public static func graph(rows: Int, dimension: Int) throws(SafetyError) -> Graph {
    let g = GraphBuilder(name: "logistic_regression")
    let x = g.parameter("x", TensorType(.f32, [rows, dimension]))
    let y = g.parameter("y", TensorType(.f32, [rows]))
    let s = g.parameter("s", TensorType(.f32, [rows]))
    let w = g.parameter("w", TensorType(.f32, [dimension, 1]))
    let b = g.parameter("b", .scalar(.f32))
    let l2 = g.parameter("l2", .scalar(.f32))
    let z = g.add(g.reshape(g.matmul(x, w), [rows]), b)
    let softplus = g.log(g.add(g.constant(1, .scalar(.f32)), g.exp(g.neg(g.abs(z)))))
    let perRow = g.add(g.sub(g.relu(z), g.mul(z, y)), softplus)
    let data = g.div(g.sum(g.mul(perRow, s), axes: [0]), g.sum(s, axes: [0]))
    let loss = g.add(data, g.mul(l2, g.sum(g.mul(w, w), axes: [0, 1])))
    do {
      let forward = try g.build(results: [("loss", loss), ("probabilities", g.sigmoid(z))])
      return try Gradient(of: "loss", wrt: ["w", "b"]).apply(to: forward)
    } catch {
      throw SafetyError("cannot build the logistic-regression graph: \(error)")
    }
  }

  struct Outputs {
    var loss: Double
    var probabilities: [Double]
    var gradW: [Float]
    var gradB: Float
  }

  static func run(
    _ graph: Graph, backend: any Backend, features: [[Float]], labels: [Float],
    sampleWeights: [Float], head: LogisticHead, l2: Double
  ) throws(SafetyError) -> Outputs {
    let n = features.count
    let d = head.dimension
    guard features.allSatisfy({ $0.count == d }) else {
      throw SafetyError("every feature row must have \(d) values")
    }
    do {
      let executable = try backend.prepare(graph)
      let out = try executable.run([
        "x": try HostTensor(shape: [n, d], features.flatMap { $0 }),
        "y": try HostTensor(shape: [n], labels),
        "s": try HostTensor(shape: [n], sampleWeights),
        "w": try HostTensor(shape: [d, 1], head.weights),
        "b": HostTensor(scalar: head.bias),
        "l2": HostTensor(scalar: Float(l2)),
      ])
      guard let loss = out["loss"]?.scalar(of: Float.self),
        let p = out["probabilities"]?.array(of: Float.self),
        let gw = out["grad_w"]?.array(of: Float.self),
        let gb = out["grad_b"]?.scalar(of: Float.self)
      else { throw SafetyError("the logistic-regression graph returned unexpected results") }
      return Outputs(loss: Double(loss), probabilities: p.map(Double.init), gradW: gw, gradB: gb)
    } catch let error as SafetyError {
      throw error
    } catch {
      throw SafetyError("running the logistic-regression graph failed: \(error)")
    }
  }

  /// Class weights that give both classes the same total weight.
  public static func balancedWeights(_ labels: [Bool]) -> [Float] {
    let positives = labels.filter { $0 }.count
    let negatives = labels.count - positives
    let wp = positives > 0 ? Float(labels.count) / Float(2 * positives) : 1
    let wn = negatives > 0 ? Float(labels.count) / Float(2 * negatives) : 1
    return labels.map { $0 ? wp : wn }
  }

  /// Trains on (`features`, `labels`) with balanced class weights; returns the head with the
  /// lowest validation loss seen (the last head when no validation set is given) and the
  /// training-loss curve. `progress` receives (step, training loss).
  public static func train(
    features: [[Float]], labels: [Bool], validation: (features: [[Float]], labels: [Bool])? = nil,
    options: LogisticRegressionOptions = LogisticRegressionOptions(),
    backend: any Backend = InterpreterBackend(), progress: ((Int, Double) -> Void)? = nil
  ) throws(SafetyError) -> (head: LogisticHead, losses: [Double]) {
    guard let d = features.first?.count, features.count == labels.count else {
      throw SafetyError("training needs features and one label per row")
    }
    let graph = try graph(rows: features.count, dimension: d)
    let y = labels.map { Float($0 ? 1 : 0) }
    let s = balancedWeights(labels)
    var valuation: ((LogisticHead) throws(SafetyError) -> Double)?
    if let validation, !validation.features.isEmpty {
      let vg = try self.graph(rows: validation.features.count, dimension: d)
      let vy = validation.labels.map { Float($0 ? 1 : 0) }
      let vs = balancedWeights(validation.labels)
      valuation = { (h: LogisticHead) throws(SafetyError) -> Double in
        try run(
          vg, backend: backend, features: validation.features, labels: vy, sampleWeights: vs,
          head: h, l2: 0
        ).loss
      }
    }
    var head = LogisticHead(weights: [Float](repeating: 0, count: d), bias: 0)
    var m = [Double](repeating: 0, count: d + 1)
    var v = [Double](repeating: 0, count: d + 1)
    var best = head
    var bestLoss = Double.infinity
    var losses: [Double] = []
    for step in 1...max(options.steps, 1) {
      let out = try run(
        graph, backend: backend, features: features, labels: y, sampleWeights: s, head: head,
        l2: options.l2)
      losses.append(out.loss)
      let gradients = out.gradW.map(Double.init) + [Double(out.gradB)]
      let correction1 = 1 - Foundation.pow(options.beta1, Double(step))
      let correction2 = 1 - Foundation.pow(options.beta2, Double(step))
      for i in 0...d {
        m[i] = options.beta1 * m[i] + (1 - options.beta1) * gradients[i]
        v[i] = options.beta2 * v[i] + (1 - options.beta2) * gradients[i] * gradients[i]
        let update =
          options.learningRate * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + 1e-8)
        if i < d { head.weights[i] -= Float(update) } else { head.bias -= Float(update) }
      }
      progress?(step, out.loss)
      if let valuation, step % max(options.evaluateEvery, 1) == 0 || step == options.steps {
        let loss = try valuation(head)
        if loss < bestLoss {
          bestLoss = loss
          best = head
        }
      }
    }
    return (valuation == nil ? head : best, losses)
  }
}
