import Foundation
import IR
import Models
import Passes
import Runtime
import Testing

@testable import Training

@Suite struct SinkMeasurementTests {
  @Test func tablesAverageTheSamplesAndGiveThePenalty() throws {
    let weights = try tinyModel.initialWeights(seed: 3)
    let harmful = toySamples(count: 2, seed: 4)
    let safe = toySamples(count: 2, seed: 5)
    let both = try SinkMeasurement.tables(
      model: tinyModel, weights: weights, harmful: harmful, safe: safe, length: 12)
    #expect(both.layers == 2 && both.heads == 2 && both.samples == 2)
    // Averaging two samples equals the mean of the one-sample tables.
    let first = try SinkMeasurement.tables(
      model: tinyModel, weights: weights, harmful: [harmful[0]], safe: [safe[0]], length: 12)
    let second = try SinkMeasurement.tables(
      model: tinyModel, weights: weights, harmful: [harmful[1]], safe: [safe[1]], length: 12)
    for l in 0..<2 {
      for h in 0..<2 {
        #expect(
          abs(both.alphaHarmful[l][h] - (first.alphaHarmful[l][h] + second.alphaHarmful[l][h]) / 2)
            < 1e-6)
        #expect(
          abs(both.divergence[l][h] - (both.alphaHarmful[l][h] - both.alphaSafe[l][h])) < 1e-6)
      }
    }
    let penalty = try SinkMeasurement.penalty(
      model: tinyModel, weights: weights, harmful: harmful[0], safe: safe[0], length: 12)
    #expect(abs(penalty - first.penalty) < 1e-7)
    #expect(throws: TrainingError.self) {
      try SinkMeasurement.tables(
        model: tinyModel, weights: weights, harmful: harmful, safe: [safe[0]], length: 12)
    }
  }

  @Test func automaticSinkIsTheKeyWithTheMostAttention() throws {
    let weights = try tinyModel.initialWeights(seed: 8)
    let samples = toySamples(count: 3, seed: 9)
    let length = 12
    let found = try SinkMeasurement.automaticSink(
      model: tinyModel, weights: weights, samples: samples, length: length)
    // By hand: every attention map, summed over layers, heads and real queries.
    var g = try tinyModel.forwardGraph(batch: samples.count, tokens: length)
    let softmaxes = SinkDivergence.attentionSoftmaxes(in: g)
    g.results = softmaxes.enumerated().map {
      GraphResult(name: "a\($0.offset)", value: $0.element.result)
    }
    var inputs = try SinkMeasurement.weightInputs(g, weights)
    let (tokens, mask) = try SinkMeasurement.padded(samples, length: length)
    inputs["tokens"] = tokens
    inputs["attention_mask"] = mask
    inputs["positions"] = try HostTensor(
      shape: [samples.count, length],
      (0..<samples.count).flatMap { _ in (0..<length).map(Int32.init) })
    let out = try Interpreter().run(g, inputs: inputs)
    let real = mask.doubles
    var perKey = [Double](repeating: 0, count: length)
    for (name, a) in out {
      _ = name
      let v = a.doubles
      let heads = a.shape[1]
      for n in 0..<samples.count {
        for h in 0..<heads {
          for i in 0..<length where real[n * length + i] > 0 {
            for j in 0..<length { perKey[j] += v[((n * heads + h) * length + i) * length + j] }
          }
        }
      }
    }
    let expected = perKey.indices.max { perKey[$0] < perKey[$1] }
    #expect(found == expected)
  }

  @Test func attentionSummaryNamesEveryLayerAndItsHeads() throws {
    let summary = try SinkMeasurement.attentionSummary(model: tinyModel, length: 8)
    #expect(summary.hasPrefix("2 attention layers × 2 heads (marked softmaxes): layer 0 %"))
    #expect(summary.contains(", layer 1 %"), "\(summary)")
  }
}
