import IR

/// A group of processes (ranks) that combine tensors: the engine behind the IR's `all_reduce`.
///
/// Conformers wrap a communication engine (one process, MPI; Gloo or NCCL could be added the
/// same way) and are handed to the interpreter or the JIT by name (`Communicators`), so graphs
/// and passes never name an engine. Every rank must make the same calls, with the same element
/// counts, dtypes and reductions, in the same order.
public protocol Communicator: Sendable {
  /// This process's position in the group, in `0..<size`.
  var rank: Int { get }
  /// How many processes the group has (at least 1).
  var size: Int { get }
  /// Replaces the elements in `buffer` (of `dtype`, f32 or f64) by their sum or mean over
  /// every rank, in place.
  func allReduce(
    _ buffer: UnsafeMutableRawBufferPointer, dtype: DType, reduction: CollectiveReduction
  ) throws(RuntimeError)
}

extension Communicator {
  /// The reduction of `values` over every rank (f64, for counts and losses the host combines).
  public func allReduce(_ values: [Double], _ reduction: CollectiveReduction) throws(RuntimeError)
    -> [Double]
  {
    var out = values
    try reduceInPlace(&out, .f64, reduction)
    return out
  }

  /// The reduction of a float tensor over every rank.
  public func allReduce(_ tensor: HostTensor, _ reduction: CollectiveReduction)
    throws(RuntimeError) -> HostTensor
  {
    switch tensor.storage {
    case .f32(var v):
      try reduceInPlace(&v, .f32, reduction)
      return try HostTensor(tensor.type, storage: .f32(v))
    case .f64(var v):
      try reduceInPlace(&v, .f64, reduction)
      return try HostTensor(tensor.type, storage: .f64(v))
    default:
      throw RuntimeError("all_reduce takes f32 or f64 tensors, got \(tensor.type)")
    }
  }

  private func reduceInPlace<T>(
    _ values: inout [T], _ dtype: DType, _ reduction: CollectiveReduction
  ) throws(RuntimeError) {
    var failure: RuntimeError?
    values.withUnsafeMutableBytes { bytes in
      do throws(RuntimeError) {
        try allReduce(bytes, dtype: dtype, reduction: reduction)
      } catch {
        failure = error
      }
    }
    if let failure { throw failure }
  }
}

/// Divides the `dtype` elements in `buffer` by `size`: a mean from a sum, for engines that
/// only sum. Dividing (not multiplying by 1/size) keeps the mean of equal values exact.
public func divideElements(
  _ buffer: UnsafeMutableRawBufferPointer, dtype: DType, by size: Int
) {
  switch dtype {
  case .f32:
    let (values, n) = (buffer.bindMemory(to: Float.self), Float(size))
    for i in values.indices { values[i] /= n }
  case .f64:
    let (values, n) = (buffer.bindMemory(to: Double.self), Double(size))
    for i in values.indices { values[i] /= n }
  default: break
  }
}

/// A group of one process: sum and mean leave every tensor as it is.
public struct SingleProcessCommunicator: Communicator {
  public init() {}
  public var rank: Int { 0 }
  public var size: Int { 1 }
  public func allReduce(
    _ buffer: UnsafeMutableRawBufferPointer, dtype: DType, reduction: CollectiveReduction
  ) throws(RuntimeError) {}
}

/// The communicators of an execution context, by the name `all_reduce` ops give
/// (`{communicator = "world"}`).
public struct Communicators: Sendable {
  public var byName: [String: any Communicator]

  public init(_ byName: [String: any Communicator]) { self.byName = byName }

  /// `world` is one process (the default of the interpreter and the JIT).
  public static let singleProcess = Communicators(["world": SingleProcessCommunicator()])

  /// `world` is `communicator`.
  public static func world(_ communicator: any Communicator) -> Communicators {
    Communicators(["world": communicator])
  }

  /// The communicator called `name`, or an error listing the known names.
  public func named(_ name: String) throws(RuntimeError) -> any Communicator {
    guard let c = byName[name] else {
      let known = byName.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
      let has = known.isEmpty ? "none" : known
      throw RuntimeError("no communicator \"\(name)\" in this execution context (it has \(has))")
    }
    return c
  }
}
