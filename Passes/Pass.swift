import IR

/// A graph-to-graph transformation with a short command-line name (`cse`, `dce`).
///
/// Every conforming type documents, in its doc comment:
/// - **Requires**: what the input graph must satisfy beyond verifying (and passes that must or
///   must not have run before, checked through `PassContext.passesRun`);
/// - **Establishes**: what holds afterwards;
/// - **Idempotent**: whether a second run can change anything.
///
/// A pass must leave a graph that verifies; the pass manager checks this after every pass
/// that reports a change.
public protocol Pass {
  /// The name used in pipelines (`--passes "canonicalize,cse"`) and in error messages.
  var name: String { get }

  /// Transforms `graph` in place and returns whether it changed anything.
  mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool
}

/// State shared by the passes of one pipeline run: statistics, timings, and which passes ran.
public struct PassContext: Sendable {
  /// Counters by name, `<pass>.<what>` by convention (`cse.eliminated`).
  public var statistics: [String: Int] = [:]
  /// Names of the passes that have finished, in order (ordering checks read this).
  public var passesRun: [String] = []
  /// Wall-clock time of each pass run, in order.
  public var timings: [PassTiming] = []
  /// Free-form facts a pass wants to leave for later passes or the user (`key → text`).
  public var notes: [String: String] = [:]

  public init() {}

  /// Adds `amount` to the counter `key`.
  public mutating func count(_ key: String, by amount: Int = 1) {
    statistics[key, default: 0] += amount
  }

  /// Whether a pass with this name has already run in this pipeline.
  public func hasRun(_ pass: String) -> Bool { passesRun.contains(pass) }

  /// Throws unless `earlier` is still to come: `pass` must run before `earlier` has run.
  ///
  /// For instance the Surgery pass calls `requireNotRun("grad", by: "sink-divergence")`.
  public func requireNotRun(_ later: String, by pass: String) throws(PassError) {
    if hasRun(later) {
      throw PassError("'\(pass)' must run before '\(later)', but '\(later)' already ran")
    }
  }

  /// Throws unless `required` has already run.
  public func requireRun(_ required: String, by pass: String) throws(PassError) {
    if !hasRun(required) {
      throw PassError("'\(pass)' requires '\(required)' to run first")
    }
  }
}

/// How long one pass took.
public struct PassTiming: Sendable, Hashable {
  public var pass: String
  public var duration: Duration
  public var changed: Bool
  public init(pass: String, duration: Duration, changed: Bool) {
    self.pass = pass
    self.duration = duration
    self.changed = changed
  }
}

/// An error from the pass infrastructure: a malformed pipeline, an unknown pass or option, a
/// pass that failed or left an invalid graph. The message is complete and meant for users.
public struct PassError: Error, Sendable, Hashable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

extension Graph {
  /// The parameter `P` when `result` is a gradient `grad_P` of one (nil for other results).
  func differentiatedParameter(_ result: GraphResult) -> Parameter? {
    guard result.name.hasPrefix("grad_") else { return nil }
    return parameter(named: String(result.name.dropFirst(5)))
  }

  /// Every `grad_P` result with its parameter, in result order.
  var parameterGradients: [(parameter: Parameter, value: Value)] {
    results.compactMap { r in differentiatedParameter(r).map { ($0, r.value) } }
  }

  /// Throws unless the gradient `value` of `p` has `p`'s type and that type is float
  /// (`pass` names the pass in the error).
  func checkGradient(_ value: Value, of p: Parameter, types: [Value: TensorType], pass: String)
    throws(PassError)
  {
    guard p.type.dtype.isFloat, types[value] == p.type else {
      throw PassError(
        "\(pass): result 'grad_\(p.name)' is \(types[value].map(\.description) ?? "?"), "
          + "parameter '\(p.name)' is \(p.type); both must be the same float type")
    }
  }
}
