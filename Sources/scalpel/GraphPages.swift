import Foundation
import GraphView
import Models
import Passes
import Training

/// Writes the viewer page of a pass history to `path` (atomically), reporting on stderr.
func writeGraphPage(_ history: PassHistory, title: String, to path: String) throws {
  let clock = ContinuousClock()
  let start = clock.now
  let page = try GraphViewer.html(history, title: title)
  let url = URL(fileURLWithPath: path)
  try FileManager.default.createDirectory(
    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
  try Data(page.utf8).write(to: url, options: .atomic)
  note("wrote \(path) (\(page.utf8.count / 1024) KiB in \(clock.now - start))")
}

/// `--dump-graphs DIR`: the step graph of a training configuration after every pass of its
/// pipeline, as `DIR/NAME.html`. Returns the page's path.
@discardableResult
func writeStepGraphPage(
  model: any LanguageModel, config: TrainingConfig, ranks: Int = 1, to directory: String,
  name: String = "step-graph"
) throws -> String {
  note("writing the step graph's page (\(config.defense.summary))…")
  let built = try StepGraphs.pipeline(
    model: model, batch: config.batchSize, tokens: config.sequenceLength,
    defense: config.defense, optimizer: config.optimizer, accumulation: config.accumulation,
    ranks: ranks)
  let (history, _, _) = try PassHistory.run(built.manager, on: built.forward)
  let path = directory + "/\(name).html"
  try writeGraphPage(
    history,
    title:
      "step graph, \(config.defense.summary), batch \(config.batchSize) × \(config.sequenceLength)",
    to: path)
  return path
}
