import ArgumentParser

/// `scalpel bench`: performance measurements, one subcommand per workload.
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure workloads and print one JSON object per run.",
    subcommands: [BenchTrainStepCommand.self])
}
