import Foundation

/// Positions from Graphviz: node boxes and edge curves in points, origin at the top left.
public struct Layout: Sendable, Encodable {
  public var width: Double
  public var height: Double
  /// Node id → `[centre x, centre y, width, height]`.
  public var nodes: [String: [Double]]
  /// `[from, to, SVG path]`: cubic Bézier segments as Graphviz computed them.
  public var edges: [[String]]
}

/// An error of the viewer: Graphviz missing or failing, an unwritable output.
public struct GraphViewError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// Lays graphs out with Graphviz's `dot`, run as a subprocess (`-Tplain`).
public enum GraphvizLayout {
  /// The `dot` executable on `PATH`, or an error saying how to install it.
  public static func locateDot() throws(GraphViewError) -> String {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
      let candidate = "\(directory)/dot"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw GraphViewError(
      "Graphviz's `dot` was not found on PATH (\(path)); install the Debian package graphviz "
        + "(scripts/install-system-packages does)")
  }

  /// Lays out every graph; the result has one layout per graph, in order. The graphs are
  /// split over up to `processes` concurrent `dot` runs.
  public static func layout(_ graphs: [DotGraph], processes: Int = 2) throws(GraphViewError)
    -> [Layout]
  {
    if graphs.isEmpty { return [] }
    let dot = try locateDot()
    let count = max(1, min(processes, graphs.count))
    // Largest first, each to the run with the least work so far (dot's time grows faster than
    // the node count: n^1.5 is the estimate), so the runs take about as long.
    func cost(_ g: DotGraph) -> Double {
      Double(g.nodes.count + g.edges.count).squareRoot() * Double(g.nodes.count + g.edges.count)
    }
    let order = graphs.indices.sorted { cost(graphs[$0]) > cost(graphs[$1]) }
    var dealt = [[Int]](repeating: [], count: count)
    var load = [Double](repeating: 0, count: count)
    for index in order {
      let run = load.indices.min { load[$0] < load[$1] } ?? 0
      dealt[run].append(index)
      load[run] += cost(graphs[index])
    }
    let chunks = dealt
    let results = ChunkResults(count: count)
    DispatchQueue.concurrentPerform(iterations: count) { c in
      results.set(
        c,
        Result { () throws(GraphViewError) in
          try run(dot, chunks[c].map { graphs[$0].text }.joined())
        })
    }
    var out = [Layout?](repeating: nil, count: graphs.count)
    for c in 0..<count {
      switch results.get(c) {
      case .success(let output):
        let layouts = try parsePlain(output)
        guard layouts.count == chunks[c].count else {
          throw GraphViewError(
            "dot returned \(layouts.count) layouts for \(chunks[c].count) graphs")
        }
        for (index, layout) in zip(chunks[c], layouts) { out[index] = layout }
      case .failure(let error): throw error
      case nil: throw GraphViewError("dot did not run")
      }
    }
    return out.compactMap { $0 }
  }

  private final class ChunkResults: @unchecked Sendable {
    private var values: [Result<String, GraphViewError>?]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<String, GraphViewError>) { lock.withLock { values[i] = r } }
    func get(_ i: Int) -> Result<String, GraphViewError>? { lock.withLock { values[i] } }
  }

  /// Runs `dot -Tplain` on `input` (through temporary files: no pipe to fill up).
  static func run(_ dot: String, _ input: String) throws(GraphViewError) -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "scalpel-graphview-\(UUID().uuidString)")
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw GraphViewError("cannot create a temporary directory for dot: \(error)")
    }
    defer { try? FileManager.default.removeItem(at: directory) }
    let inputURL = directory.appendingPathComponent("in.dot")
    let outputURL = directory.appendingPathComponent("out.plain")
    let errorURL = directory.appendingPathComponent("err.txt")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: dot)
    // Not `-o`: with several graphs in one input, each would overwrite the file.
    process.arguments = ["-Tplain", inputURL.path]
    do {
      try Data(input.utf8).write(to: inputURL)
      try Data().write(to: errorURL)
      try Data().write(to: outputURL)
      process.standardError = try FileHandle(forWritingTo: errorURL)
      process.standardOutput = try FileHandle(forWritingTo: outputURL)
      try process.run()
    } catch {
      throw GraphViewError("cannot run \(dot): \(error)")
    }
    process.waitUntilExit()
    let errors = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
    guard process.terminationStatus == 0 else {
      throw GraphViewError(
        "dot failed (exit \(process.terminationStatus)): "
          + errors.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    guard let text = try? String(contentsOf: outputURL, encoding: .utf8) else {
      throw GraphViewError("dot wrote no output")
    }
    return text
  }

  /// Parses `-Tplain` output: `graph scale w h`, `node id x y w h …`, `edge a b n x1 y1 …`,
  /// `stop`, per graph; inches with y up become points with y down.
  static func parsePlain(_ text: String) throws(GraphViewError) -> [Layout] {
    var layouts: [Layout] = []
    var current: Layout?
    func number(_ s: String, _ line: Int) throws(GraphViewError) -> Double {
      guard let v = Double(s) else {
        throw GraphViewError("dot output line \(line): expected a number, got '\(s)'")
      }
      return v
    }
    for (index, rawLine) in text.split(separator: "\n").enumerated() {
      let line = index + 1
      let f = fields(rawLine)
      guard let kind = f.first else { continue }
      switch kind {
      case "graph":
        guard f.count >= 4 else { throw GraphViewError("dot output line \(line): short graph") }
        current = Layout(
          width: try number(f[2], line) * 72, height: try number(f[3], line) * 72, nodes: [:],
          edges: [])
      case "node":
        guard var layout = current, f.count >= 6 else {
          throw GraphViewError("dot output line \(line): node outside a graph")
        }
        let x = try number(f[2], line) * 72
        let y = layout.height - (try number(f[3], line)) * 72
        layout.nodes[f[1]] = [
          round2(x), round2(y), round2(try number(f[4], line) * 72),
          round2(try number(f[5], line) * 72),
        ]
        current = layout
      case "edge":
        guard var layout = current, f.count >= 4, let n = Int(f[3]), n >= 1, f.count >= 4 + 2 * n
        else { throw GraphViewError("dot output line \(line): malformed edge") }
        var points: [(Double, Double)] = []
        for i in 0..<n {
          points.append(
            (
              try number(f[4 + 2 * i], line) * 72,
              layout.height - (try number(f[5 + 2 * i], line)) * 72
            ))
        }
        layout.edges.append([f[1], f[2], svgPath(points)])
        current = layout
      case "stop":
        if let layout = current { layouts.append(layout) }
        current = nil
      default: continue
      }
    }
    return layouts
  }

  /// `M p0 C p1 p2 p3 C …` for Graphviz's B-spline control points (1 + 3k of them).
  static func svgPath(_ points: [(Double, Double)]) -> String {
    func p(_ q: (Double, Double)) -> String { "\(round2(q.0)),\(round2(q.1))" }
    guard let first = points.first else { return "" }
    var out = "M" + p(first)
    var i = 1
    while i + 2 < points.count {
      out += "C" + p(points[i]) + " " + p(points[i + 1]) + " " + p(points[i + 2])
      i += 3
    }
    while i < points.count {
      out += "L" + p(points[i])
      i += 1
    }
    return out
  }

  /// The space-separated fields of a `-Tplain` line; a quoted field loses its quotes and
  /// escapes (Graphviz quotes ids with spaces or punctuation).
  static func fields(_ line: Substring) -> [String] {
    var out: [String] = []
    var current = ""
    var quoted = false
    var escaped = false
    var inField = false
    for ch in line {
      if quoted {
        if escaped {
          current.append(ch)
          escaped = false
        } else if ch == "\\" {
          escaped = true
        } else if ch == "\"" {
          quoted = false
        } else {
          current.append(ch)
        }
      } else if ch == " " {
        if inField { out.append(current) }
        current = ""
        inField = false
      } else if ch == "\"" {
        quoted = true
        inField = true
      } else {
        current.append(ch)
        inField = true
      }
    }
    if inField { out.append(current) }
    return out
  }
}

func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }
