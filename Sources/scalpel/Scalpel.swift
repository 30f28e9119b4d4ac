import ArgumentParser

@main
struct Scalpel: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scalpel",
    abstract:
      "A compiler-style computation-graph framework: run, differentiate and train IR graphs.",
    discussion: """
      Environment: SCALPEL_CACHE (models, JIT objects, the judge; default ~/.cache/scalpel), \
      SCALPEL_DATA (the data directory), SCALPEL_MAX_MEMORY (as --max-memory), \
      SCALPEL_JIT_TARGET (host, x86-64-v3 or x86-64-v2: the instruction set the JIT compiles \
      for; a narrower level runs the code an older CPU gets).
      """,
    subcommands: [
      RunCommand.self, GenerateCommand.self, TokenizeCommand.self, LogitsCommand.self,
      InspectCommand.self, BenchCommand.self, TrainCommand.self, AlignCommand.self,
      SinkDivergenceCommand.self, JudgeCommand.self, ReportCommand.self, ExperimentCommand.self,
    ])
}
