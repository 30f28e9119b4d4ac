import ArgumentParser

@main
struct Scalpel: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scalpel",
    abstract:
      "A compiler-style computation-graph framework: run, differentiate and train IR graphs.",
    subcommands: [
      RunCommand.self, GenerateCommand.self, TokenizeCommand.self, LogitsCommand.self,
      InspectCommand.self, BenchCommand.self, TrainCommand.self, AlignCommand.self,
      SinkDivergenceCommand.self,
    ])
}
