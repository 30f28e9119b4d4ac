import IR

/// Maps pass names to constructors, so pipelines can be written as text.
///
/// Extensible: other targets register their passes on a copy of `.standard`
/// (`var r = PassRegistry.standard; r.register(name: "grad", ...)`).
public struct PassRegistry: Sendable {
  /// Builds a pass from its parsed options. Only declared option names reach it.
  public typealias Factory = @Sendable (PassOptions) throws(PassError) -> any Pass

  /// One registered pass.
  public struct Entry: Sendable {
    public var name: String
    public var summary: String
    /// Option name → one-line description.
    public var options: [(name: String, summary: String)]
    public var factory: Factory
  }

  public private(set) var entries: [String: Entry] = [:]

  public init() {}

  /// Registers a pass; a later registration of the same name replaces the earlier one.
  public mutating func register(
    name: String, summary: String, options: [(name: String, summary: String)] = [],
    factory: @escaping Factory
  ) {
    entries[name] = Entry(name: name, summary: summary, options: options, factory: factory)
  }

  /// Registered pass names, sorted.
  public var names: [String] { entries.keys.sorted() }

  /// A pass from a parsed invocation; unknown names and options are errors listing what is known.
  public func makePass(_ invocation: PassInvocation) throws(PassError) -> any Pass {
    guard let entry = entries[invocation.name] else {
      throw PassError(
        "unknown pass '\(invocation.name)'; known passes: \(names.joined(separator: ", "))")
    }
    let known = entry.options.map(\.name)
    for key in invocation.options.keys where !known.contains(key) {
      let list =
        known.isEmpty ? "it takes no options" : "known options: \(known.joined(separator: ", "))"
      throw PassError("unknown option '\(key)' for pass '\(entry.name)'; \(list)")
    }
    return try entry.factory(invocation.options)
  }

  /// The passes of a pipeline written in the pipeline syntax.
  public func makePasses(_ pipeline: String) throws(PassError) -> [any Pass] {
    var out: [any Pass] = []
    for invocation in try parsePassPipeline(pipeline) { out.append(try makePass(invocation)) }
    return out
  }

  /// A help text: one line per pass with its summary and options.
  public var help: String {
    names.compactMap { entries[$0] }.map { e in
      var line = "  \(e.name): \(e.summary)"
      for o in e.options { line += "\n      \(o.name)=…  \(o.summary)" }
      return line
    }.joined(separator: "\n")
  }

  /// The passes of this target: canonicalize, fold, cse, dce, grad, sgd, adamw, sink-divergence,
  /// all-reduce-gradients, fuse.
  public static let standard: PassRegistry = {
    var r = PassRegistry()
    r.register(
      name: "canonicalize", summary: "algebraic identities and shape-op simplification",
      options: [("max-iterations", "sweep limit of the rewrite driver (default 10)")]
    ) { (o: PassOptions) throws(PassError) -> any Pass in
      let limit = try o.int("max-iterations", default: 10)
      guard limit >= 1 else {
        throw PassError("option 'max-iterations' of 'canonicalize' must be at least 1")
      }
      return Canonicalize(maxIterations: limit)
    }
    r.register(
      name: "grad", summary: "reverse-mode autodiff: appends results grad_P",
      options: [
        ("of", "the scalar float result to differentiate"),
        ("wrt", "parameters, comma-separated (default: every weight)"),
      ]
    ) { (o: PassOptions) throws(PassError) -> any Pass in
      guard let of = try o.string("of") else {
        throw PassError("pass 'grad' needs option 'of=RESULT' (and optionally 'wrt=P1,P2,…')")
      }
      let wrt = o.list("wrt")
      if let wrt, wrt.isEmpty { throw PassError("option 'wrt' of 'grad' lists no parameter") }
      return Gradient(of: of, wrt: wrt)
    }
    r.register(
      name: "sgd", summary: "appends next_P = P - lr·grad_P for every grad_P result",
      options: [("lr", "learning rate (default 0.01), or 'input' for a learning_rate input")]
    ) { (o: PassOptions) throws(PassError) -> any Pass in
      if try o.string("lr") == "input" { return SGDUpdate.learningRateInput }
      return SGDUpdate(learningRate: try o.double("lr", default: 0.01))
    }
    r.register(
      name: "adamw",
      summary:
        "appends an AdamW step: state adam_m.P/adam_v.P, inputs learning_rate and step, results next_*, grad_norm",
      options: [
        ("beta1", "first-moment decay (default 0.9)"),
        ("beta2", "second-moment decay (default 0.999)"),
        ("eps", "denominator epsilon (default 1e-8)"),
        ("weight-decay", "decoupled weight decay (default 0)"),
        ("clip", "maximum global gradient norm, 0 = off (default 0)"),
      ]
    ) { (o: PassOptions) throws(PassError) -> any Pass in
      let pass = AdamWUpdate(
        beta1: try o.double("beta1", default: 0.9), beta2: try o.double("beta2", default: 0.999),
        epsilon: try o.double("eps", default: 1e-8),
        weightDecay: try o.double("weight-decay", default: 0),
        clip: try o.double("clip", default: 0))
      if let problem = pass.problems().first { throw PassError("adamw: \(problem)") }
      return pass
    }
    r.register(
      name: "sink-divergence",
      summary:
        "Surgery: adds lambda·mean ReLU(alpha_harmful - alpha_safe) over attention heads to the loss",
      options: [
        ("lambda", "penalty weight (default 300)"), ("sink", "sink key position (default 0)"),
        ("samples", "harmful and safe sequences per step (default 1)"),
        ("layers", "attention layers that count, comma-separated (default all)"),
        ("heads", "heads that count in each layer (default all)"),
        ("detach-safe", "no gradient through the safe side (default false)"),
        ("loss", "the loss result (default loss)"), ("tokens", "the token input (default tokens)"),
      ]
    ) { (o: PassOptions) throws(PassError) -> any Pass in
      func indices(_ key: String) throws(PassError) -> [Int]? {
        guard let items = o.list(key) else { return nil }
        var out: [Int] = []
        for item in items {
          guard let i = Int(item) else {
            throw PassError("option '\(key)' of 'sink-divergence' takes integers, got '\(item)'")
          }
          out.append(i)
        }
        return out
      }
      if try o.string("sink") == "auto" {
        throw PassError(
          "sink=auto needs a calibration run: find the sink with 'scalpel sink-divergence --sink auto' and pass its index"
        )
      }
      return SinkDivergence(
        lambda: try o.double("lambda", default: 300), sink: try o.int("sink", default: 0),
        samples: try o.int("samples", default: 1), layers: try indices("layers"),
        heads: try indices("heads"),
        detachSafe: try o.bool("detach-safe", default: false), loss: try o.string("loss") ?? "loss",
        tokens: try o.string("tokens") ?? "tokens")
    }
    r.register(
      name: "all-reduce-gradients",
      summary: "data parallelism: grad_P results reduced over the ranks, one all_reduce per bucket",
      options: [
        ("communicator", "the communicator's name (default world)"),
        ("reduction", "mean or sum (default mean)"),
        ("bucket-mb", "bucket cap in MiB (default 25)"),
      ]
    ) { (o: PassOptions) throws(PassError) -> any Pass in
      let text = try o.string("reduction") ?? "mean"
      guard let reduction = CollectiveReduction(rawValue: text) else {
        throw PassError(
          "option 'reduction' of 'all-reduce-gradients' is mean or sum, got '\(text)'")
      }
      let megabytes = try o.double("bucket-mb", default: 25)
      guard megabytes > 0, megabytes * 1_048_576 < 1e15 else {
        throw PassError(
          "option 'bucket-mb' of 'all-reduce-gradients' must be positive (and below 10⁹), got \(megabytes)")
      }
      return AllReduceGradients(
        communicator: try o.string("communicator") ?? "world", reduction: reduction,
        bucketBytes: max(1, Int(megabytes * 1_048_576)))
    }
    r.register(name: "fold", summary: "constant folding of splat constants") { _ in
      ConstantFolding()
    }
    r.register(name: "cse", summary: "common subexpression elimination") { _ in
      CommonSubexpressionElimination()
    }
    r.register(name: "dce", summary: "dead code elimination") { _ in DeadCodeElimination() }
    r.register(
      name: "accumulate-gradients",
      summary: "adds grad_P to an input running sum gradient_sum.P (result next_gradient_sum.P)"
    ) { _ in AccumulateGradients() }
    r.register(
      name: "fuse", summary: "groups elementwise ops, broadcasts and constants into fused regions",
      options: [("reductions", "fold elementwise producers into row reductions (default true)")]
    ) { (o: PassOptions) throws(PassError) -> any Pass in
      Fusion(reductions: try o.bool("reductions", default: true))
    }
    return r
  }()
}
