import IR
import Passes

/// The graph before a pipeline and after each of its passes: what the viewer shows.
///
/// Snapshots come from the pass manager's after-pass hook, so the passes run once. Nodes are
/// matched across snapshots by `NodeKey` (value name and source location): a node whose key
/// is new in a snapshot was added by that snapshot's pass, one whose key disappeared was
/// removed by it.
public struct PassHistory: Sendable {
  /// One graph and the pass that produced it (`input` for the graph before the pipeline).
  public struct Snapshot: Sendable {
    public var pass: String
    public var graph: Graph
    /// The pass's wall-clock time and whether it reported a change (nil for the input).
    public var timing: PassTiming?
  }

  /// The name of the first snapshot's "pass".
  public static let inputName = "input"

  public private(set) var snapshots: [Snapshot]

  /// A history holding only `input`.
  public init(input: Graph) {
    snapshots = [Snapshot(pass: Self.inputName, graph: input, timing: nil)]
  }

  /// Appends the graph a pass left.
  public mutating func record(pass: String, graph: Graph, timing: PassTiming? = nil) {
    snapshots.append(Snapshot(pass: pass, graph: graph, timing: timing))
  }

  /// Runs `manager` on `graph`, recording the graph after every pass. Any observer already
  /// set on the manager (`--print-ir-after-all`) still runs.
  public static func run(_ manager: PassManager, on graph: Graph) throws(PassError) -> (
    history: PassHistory, graph: Graph, context: PassContext
  ) {
    let recorder = Recorder(input: graph)
    var manager = manager
    let previous = manager.printAfterEach
    manager.printAfterEach = { pass, graph in
      previous?(pass, graph)
      recorder.history.record(pass: pass, graph: graph)
    }
    let (result, context) = try manager.run(graph)
    var history = recorder.history
    for (index, timing) in context.timings.enumerated() where index + 1 < history.snapshots.count {
      history.snapshots[index + 1].timing = timing
    }
    return (history, result, context)
  }

  private final class Recorder: @unchecked Sendable {
    var history: PassHistory
    init(input: Graph) { history = PassHistory(input: input) }
  }
}

/// A node's identity across passes: its value name and source location.
public struct NodeKey: Sendable, Hashable {
  public var name: String
  public var location: SourceLocation

  public init(_ node: Node) {
    name = node.name
    location = node.location
  }

  public init(parameter: Parameter) {
    name = parameter.name
    location = .unknown
  }
}

/// Which pass added each node and parameter of every snapshot, and what each pass removed.
public struct Provenance: Sendable {
  /// For each snapshot: key → index of the snapshot whose pass added it (0 = the input).
  public var addedBy: [[NodeKey: Int]]
  /// For each snapshot: the nodes of the previous snapshot that are gone (empty for the input).
  public var removed: [[Node]]

  public init(_ history: PassHistory) {
    addedBy = []
    removed = []
    var previous: [NodeKey: Int] = [:]
    var previousNodes: [Node] = []
    for (index, snapshot) in history.snapshots.enumerated() {
      var current: [NodeKey: Int] = [:]
      let g = snapshot.graph
      for p in g.parameters {
        let key = NodeKey(parameter: p)
        current[key] = previous[key] ?? index
      }
      for n in g.nodes {
        let key = NodeKey(n)
        current[key] = previous[key] ?? index
      }
      addedBy.append(current)
      removed.append(previousNodes.filter { current[NodeKey($0)] == nil })
      previous = current
      previousNodes = g.nodes
    }
  }
}
