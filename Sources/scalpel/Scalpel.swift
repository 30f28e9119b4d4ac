import ArgumentParser

@main
struct Scalpel: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scalpel",
    abstract: "A compiler-style computation-graph framework: run, differentiate and train IR graphs.",
    subcommands: [RunCommand.self, BenchCommand.self])
}
