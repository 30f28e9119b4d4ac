import ArgumentParser
import Foundation
import IR
import Passes
import Runtime

/// `scalpel run`: runs one graph of an `.ir` file on `.npy` inputs and writes its results.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a graph from an .ir file on .npy inputs; write RESULT.npy for each result.",
    discussion: """
      With --repeat N the graph runs N times; each --feed PARAM=RESULT hands a result of one \
      run to a parameter of the next (a training loop: --feed w=next_w). Scalar results are \
      shown on the progress bar and written as JSON lines to DIR/log.jsonl.
      """)

  @Argument(help: "The .ir file.") var file: String
  @Option(help: "The graph to run (needed when the file holds several).") var graph: String?
  @Option(name: .customLong("input"), help: "A parameter's value: NAME=PATH.npy (repeatable).")
  var inputs: [String] = []
  @Option(help: "Directory for the results (created if missing).") var outputDir: String
  @Option(help: "Run the graph this many times.") var `repeat`: Int = 1
  @Option(
    name: .customLong("feed"), help: "PARAM=RESULT: feed a result back as a parameter between runs."
  )
  var feeds: [String] = []
  @Option(help: "The backend: jit (compiled, the default) or interpreter.")
  var backend: BackendChoice = .jit
  @Option(help: "Threads for the JIT (default: all cores).") var threads: Int?
  @OptionGroup var memory: MemoryOptions

  func run() throws {
    let module = try Parser.parseFile(file, customOps: FusedRegion.customOps)
    let g = try selectGraph(module, graph, file: file)
    guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }

    var values: [String: HostTensor] = [:]
    for spec in inputs {
      let (name, path) = try splitPair(spec, option: "--input", what: "NAME=PATH.npy")
      guard values[name] == nil else { throw ValidationError("--input \(name) is given twice") }
      guard let p = g.parameter(named: name) else {
        throw ValidationError(
          "--input \(name): graph @\(g.name) has no parameter '\(name)'; its parameters are \(g.parameters.map(\.name).joined(separator: ", "))"
        )
      }
      values[name] = try Npy.read(path, expecting: p.type)
    }
    let missing = g.parameters.map(\.name).filter { values[$0] == nil }
    guard missing.isEmpty else {
      throw ValidationError(
        "missing --input for parameter\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) of @\(g.name)"
      )
    }
    var feedPairs: [(String, String)] = []
    for spec in feeds {
      let (param, result) = try splitPair(spec, option: "--feed", what: "PARAM=RESULT")
      guard let p = g.parameter(named: param) else {
        throw ValidationError("--feed \(spec): no parameter '\(param)'")
      }
      guard let r = g.result(named: result) else {
        throw ValidationError("--feed \(spec): no result '\(result)'")
      }
      let rt = g.valueTypes()[r.value]
      guard rt == p.type else {
        throw ValidationError(
          "--feed \(spec): result is \(rt.map(\.description) ?? "?") but the parameter is \(p.type)"
        )
      }
      feedPairs.append((param, result))
    }

    try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
    let executable = try backend.make(threads: threads).prepare(g)
    let scalars = g.results.filter { g.valueTypes()[$0.value]?.rank == 0 }.map(\.name)
    var log = `repeat` > 1 ? try JSONLinesLog(path: outputDir + "/log.jsonl") : nil
    var bar = `repeat` > 1 ? ProgressBar(total: `repeat`, label: "run @\(g.name)") : nil
    var outputs: [String: HostTensor] = [:]
    for step in 1...`repeat` {
      outputs = try executable.run(values)
      for (param, result) in feedPairs { values[param] = outputs[result] }
      if bar != nil {
        var record: [String: Double] = ["step": Double(step)]
        var fields = ""
        for name in scalars {
          guard let v = outputs[name]?.doubles.first else { continue }
          record[name] = v
          fields += "\(name)=\(String(format: "%.5g", v)) "
        }
        try log?.append(record)
        bar?.update(step, fields: fields)
      }
    }
    for r in g.results {
      guard let t = outputs[r.name] else { continue }
      let path = outputDir + "/" + r.name + ".npy"
      try Npy.write(t, to: path)
      print("wrote \(path) \(t.type)\(t.count == 1 ? " = \(formatScalar(t))" : "")")
    }
  }
}

func formatScalar(_ t: HostTensor) -> String {
  guard let v = t.doubles.first else { return "" }
  return t.dtype.isFloat ? String(format: "%.6g", v) : String(Int(v))
}

/// The graph named `name`, or the only graph of the module.
func selectGraph(_ module: Module, _ name: String?, file: String) throws -> Graph {
  let names = module.graphs.map { "@" + $0.name }.joined(separator: ", ")
  if let name {
    let bare = name.hasPrefix("@") ? String(name.dropFirst()) : name
    guard let g = module.graph(named: bare) else {
      throw ValidationError("\(file) has no graph @\(bare); it holds \(names)")
    }
    return g
  }
  guard module.graphs.count == 1 else {
    throw ValidationError("\(file) holds several graphs (\(names)): choose one with --graph")
  }
  return module.graphs[0]
}

func splitPair(_ spec: String, option: String, what: String) throws -> (String, String) {
  guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex,
    spec.index(after: eq) != spec.endIndex
  else {
    throw ValidationError("\(option) \(spec): expected \(what)")
  }
  return (String(spec[..<eq]), String(spec[spec.index(after: eq)...]))
}

/// Appends one JSON object per line; the file is flushed after every line.
struct JSONLinesLog {
  let handle: FileHandle?
  init(path: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: nil) else {
      throw ValidationError("cannot create the run log \(path)")
    }
    handle = FileHandle(forWritingAtPath: path)
  }
  mutating func append(_ record: [String: Double]) throws {
    let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
    handle?.write(data + Data("\n".utf8))
  }
}
