import IR

/// `all-reduce-gradients{communicator=world reduction=mean bucket-mb=25}`: data-parallel
/// gradient synchronization as a graph rewrite, so the IR shows where communication happens.
///
/// The `grad_P` results are grouped into buckets in reverse parameter order (the last layer's
/// gradients, which backward computes first, fill the first bucket). A bucket takes gradients
/// until the next one would push it past `bucket-mb` MiB or has another dtype; a gradient larger
/// than the cap is a bucket of its own. Each bucket becomes one `all_reduce`:
///
///   one gradient:  %bucketK = all_reduce %g
///   several:       %bucketK_in = concat(reshape(g₁, [n₁]), …)   (flattened, in bucket order)
///                  %bucketK = all_reduce %bucketK_in
///                  g'ᵢ = reshape(slice(%bucketK, [oᵢ], [oᵢ + nᵢ]), shape(gᵢ))
///
/// and `grad_P` then names the reduced gradient. One collective per bucket (not per tensor)
/// amortizes each call's latency over about `bucket-mb` of data, as PyTorch DDP does, at the
/// cost of one copy in and out of the bucket, which the IR shows. A bucket's nodes are placed
/// right after the last node computing one of its gradients, so the program order is the
/// order in which an asynchronous engine could start each reduction while backward computes
/// the earlier layers' gradients.
///
/// - Requires: results `grad_P` (from `grad`) with `P`'s float type; `adamw` and `sgd` have not
///   run; no `all_reduce` over `communicator` yet.
/// - Establishes: every `grad_P` result is the `reduction` of the ranks' gradients; other
///   results unchanged.
/// - Idempotent: no (a second run would reduce twice), so it refuses a graph that already
///   reduces over `communicator`.
public struct AllReduceGradients: Pass, Sendable, Hashable {
  public let name = "all-reduce-gradients"
  /// The communicator the `all_reduce` ops name.
  public var communicator: String
  /// `mean` (each rank's loss a mean over its shard of equal size) or `sum` (each rank's loss
  /// already scaled by its share of the global count).
  public var reduction: CollectiveReduction
  /// The bucket cap in bytes.
  public var bucketBytes: Int

  public init(
    communicator: String = "world", reduction: CollectiveReduction = .mean,
    bucketBytes: Int = 25 << 20
  ) {
    self.communicator = communicator
    self.reduction = reduction
    self.bucketBytes = bucketBytes
  }

  public mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    try context.requireNotRun("adamw", by: name)
    try context.requireNotRun("sgd", by: name)
    let (out, buckets) = try apply(to: graph)
    graph = out
    context.count("all-reduce-gradients.buckets", by: buckets.count)
    return !buckets.isEmpty
  }

  /// One bucket: the gradients' result names in bucket order.
  public typealias Bucket = [String]

  /// The rewritten graph and its buckets, in the order they are reduced.
  public func apply(to graph: Graph) throws(PassError) -> (Graph, [Bucket]) {
    guard bucketBytes > 0 else {
      throw PassError("\(name): bucket-mb must be positive, got \(bucketBytes) bytes")
    }
    for n in graph.nodes {
      if case .allReduce(_, let c) = n.op, c == communicator {
        throw PassError(
          "\(name): the graph already reduces over \"\(communicator)\" (%\(n.name)); "
            + "a second run would reduce the gradients twice")
      }
    }
    let types = graph.valueTypes()
    // Gradients in reverse parameter order.
    var gradients: [(result: Int, type: TensorType)] = []
    for p in graph.parameters.reversed() {
      guard let index = graph.results.firstIndex(where: { $0.name == "grad_\(p.name)" }) else {
        continue
      }
      let type = types[graph.results[index].value]
      guard let type, type == p.type, type.dtype.isFloat else {
        throw PassError(
          "\(name): result 'grad_\(p.name)' is \(type.map(\.description) ?? "?"), parameter "
            + "'\(p.name)' is \(p.type); both must be the same float type")
      }
      gradients.append((index, type))
    }
    guard !gradients.isEmpty else {
      throw PassError("\(name): the graph has no grad_P results; run 'grad' first")
    }

    // Fill the buckets.
    var buckets: [[(result: Int, type: TensorType)]] = []
    var filled = 0
    for g in gradients {
      let bytes = g.type.byteCount ?? .max
      if let last = buckets.last?.last,
        last.type.dtype == g.type.dtype, filled <= bucketBytes - bytes
      {
        buckets[buckets.count - 1].append(g)
        filled += bytes
      } else {
        buckets.append([g])
        filled = bytes
      }
    }

    // Emit each bucket at the end, then move its nodes after its last producer.
    let producer = Dictionary(
      graph.nodes.enumerated().map { ($1.result, $0) }, uniquingKeysWith: { a, _ in a })
    let b = GraphBuilder(continuing: graph)
    b.locationOverride = SourceLocation(file: name, line: 0)
    var results = graph.results
    var emitted: [(anchor: Int, nodes: Range<Int>)] = []
    let here = SourceLocation(file: name, line: 0)
    for (k, bucket) in buckets.enumerated() {
      let first = b.graph.nodes.count
      let values = bucket.map { graph.results[$0.result].value }
      let op = Op.allReduce(reduction, communicator: communicator)
      if bucket.count == 1 {
        results[bucket[0].result].value = b.emit(op, values, name: "bucket\(k)", at: here)
      } else {
        // Flatten (rank-1 gradients already are), join, reduce, cut back out.
        let flat = zip(values, bucket).map { v, g in
          g.type.rank == 1
            ? v
            : b.emit(
              .reshape(shape: [g.type.count]), [v],
              name: "\(graph.results[g.result].name)_flat", at: here)
        }
        let joined = b.emit(.concat(axis: 0), flat, name: "bucket\(k)_in", at: here)
        let reduced = b.emit(op, [joined], name: "bucket\(k)", at: here)
        var offset = 0
        for g in bucket {
          let n = g.type.count
          let result = graph.results[g.result].name
          var piece = b.emit(
            .slice(start: [offset], limit: [offset + n], stride: [1]), [reduced],
            name: "\(result)_reduced", at: here)
          if g.type.rank != 1 {
            piece = b.emit(
              .reshape(shape: g.type.shape), [piece], name: "\(result)_shaped", at: here)
          }
          results[g.result].value = piece
          offset += n
        }
      }
      let anchor = values.map { producer[$0] ?? -1 }.max() ?? -1
      emitted.append((anchor, first..<b.graph.nodes.count))
    }
    if let problem = b.diagnostics.first { throw PassError("\(name): \(problem)") }

    var out = b.graph
    let built = out.nodes
    out.nodes = []
    out.nodes.reserveCapacity(built.count)
    func place(after anchor: Int) {
      for e in emitted where e.anchor == anchor { out.nodes += built[e.nodes] }
    }
    place(after: -1)
    for i in graph.nodes.indices {
      out.nodes.append(built[i])
      place(after: i)
    }
    out.results = results
    let names = buckets.map { $0.map { graph.results[$0.result].name } }
    return (out, names)
  }
}
