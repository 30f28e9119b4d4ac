import ArgumentParser
import Foundation
import GraphView
import IR
import Passes

/// `scalpel-opt`: parse an `.ir` file, verify it, run a pass pipeline on its graphs, print.
@main
struct ScalpelOpt: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scalpel-opt",
    abstract: "Parse, verify and transform Scalpel IR with a pass pipeline; print the result.",
    discussion: """
      Pipeline syntax: passes separated by commas, options in braces separated by spaces, \
      list options take commas: "grad{of=loss wrt=w,b},cse,dce". --list-passes shows every \
      pass with its options.
      """)

  @Argument(help: "The .ir file (- for standard input).") var file: String?
  @Option(help: "The pass pipeline to run on every graph (or on --graph).") var passes: String = ""
  @Option(help: "Only transform and print this graph.") var graph: String?
  @Flag(help: "Print the IR after every pass (to standard error).") var printIrAfterAll = false
  @Flag(help: "Skip verification between passes.") var noVerify = false
  @Flag(help: "Print pass timings and statistics (to standard error).") var timing = false
  @Flag(help: "List the available passes and exit.") var listPasses = false
  @Option(name: .shortAndLong, help: "Write the output here instead of standard output.")
  var output: String?
  @Option(
    help: ArgumentHelp(
      "Write an HTML page showing the graph after every pass, with each pass's diff.",
      discussion: "Self-contained (no network); needs Graphviz's dot. One graph only (--graph).",
      valueName: "OUT.html"))
  var html: String?
  @Option(
    help: ArgumentHelp(
      "Write the final graph as Graphviz DOT, nodes boxed by cluster.", valueName: "OUT.dot"))
  var dot: String?

  func run() throws {
    let registry = PassRegistry.standard
    if listPasses {
      print(registry.help)
      return
    }
    guard let file else { throw ValidationError("missing the .ir file (or --list-passes)") }
    let pipeline = try registry.makePasses(passes)
    let module: Module
    if file == "-" {
      module = try Parser(fileName: "<stdin>", customOps: FusedRegion.customOps).parse(
        bytes: [UInt8](FileHandle.standardInput.readDataToEndOfFile()))
    } else {
      module = try Parser.parseFile(file, customOps: FusedRegion.customOps)
    }
    var graphs = module.graphs
    if let graph {
      let bare = graph.hasPrefix("@") ? String(graph.dropFirst()) : graph
      graphs = graphs.filter { $0.name == bare }
      guard !graphs.isEmpty else { throw ValidationError("\(file) has no graph @\(bare)") }
    }
    if (html != nil || dot != nil) && graphs.count > 1 {
      throw ValidationError(
        "--html and --dot show one graph; \(file) has \(graphs.count): choose one with --graph")
    }
    var out: [Graph] = []
    for g in graphs {
      var manager = PassManager(passes: pipeline, verifyEach: !noVerify)
      if printIrAfterAll {
        manager.printAfterEach = { pass, graph in
          FileHandle.standardError.write(
            Data("// ----- IR after \(pass) -----\n\(printGraph(graph))\n".utf8))
        }
      }
      let (history, result, context) = try PassHistory.run(manager, on: g)
      for (pass, note) in context.notes.sorted(by: { $0.key < $1.key }) {
        FileHandle.standardError.write(Data("// @\(g.name) \(pass): \(note)\n".utf8))
      }
      if timing { reportTiming(context, graph: g.name) }
      try writeViews(history)
      out.append(result)
    }
    let text = printModule(Module(graphs: out))
    if let output {
      try writeAtomically(text, to: output)
    } else {
      print(text, terminator: "")
    }
  }

  /// The --html page and the --dot file, if asked for.
  func writeViews(_ history: PassHistory) throws {
    let clock = ContinuousClock()
    if let html {
      let start = clock.now
      let page = try GraphViewer.html(history)
      try writeAtomically(page, to: html)
      FileHandle.standardError.write(
        Data("wrote \(html) (\(page.utf8.count / 1024) KiB in \(clock.now - start))\n".utf8))
    }
    if let dot {
      try writeAtomically(GraphViewer.dot(history), to: dot)
      FileHandle.standardError.write(Data("wrote \(dot)\n".utf8))
    }
  }

  func reportTiming(_ context: PassContext, graph: String) {
    var lines = ["// @\(graph): pass timings"]
    for t in context.timings {
      lines.append("//   \(t.pass): \(t.duration)\(t.changed ? " (changed)" : "")")
    }
    for (key, value) in context.statistics.sorted(by: { $0.key < $1.key }) {
      lines.append("//   \(key) = \(value)")
    }
    FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
  }
}

/// Writes through a temporary file in the same directory and a rename.
func writeAtomically(_ text: String, to path: String) throws {
  let url = URL(fileURLWithPath: path)
  try Data(text.utf8).write(to: url, options: .atomic)
}
