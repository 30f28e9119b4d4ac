import CScalpelHeader
import IR
import Runtime

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A Swift object behind one of the header's opaque handles: the handle is the object's
/// address, holding one retain that the matching free function releases.
protocol Handle: AnyObject {}

extension Handle {
  /// A handle holding a new retain, for the caller to free.
  func retainedHandle() -> OpaquePointer {
    OpaquePointer(Unmanaged.passRetained(self).toOpaque())
  }

  /// The object behind a handle the caller keeps; NULL is an error naming the argument.
  static func borrow(_ handle: OpaquePointer?, _ argument: String) throws(APIError) -> Self {
    guard let handle else { throw .invalid("\(argument) is NULL") }
    return Unmanaged<Self>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
  }

  /// Drops the handle's retain; NULL is ignored.
  static func release(_ handle: OpaquePointer?) {
    guard let handle else { return }
    Unmanaged<Self>.fromOpaque(UnsafeRawPointer(handle)).release()
  }
}

/// `scalpel_graph`: a verified graph.
final class GraphHandle: Handle {
  let graph: Graph
  init(_ graph: Graph) { self.graph = graph }
}

/// A shape as the C `int64_t` array the API hands out, owned by this object.
final class CShape {
  let type: TensorType
  let pointer: UnsafeMutablePointer<Int64>

  init(_ type: TensorType) {
    self.type = type
    pointer = .allocate(capacity: max(type.rank, 1))
    pointer.initialize(from: type.shape.map(Int64.init), count: type.rank)
  }

  deinit { pointer.deallocate() }
}

/// `scalpel_tensor`: a dtype, a shape and `malloc`ed row-major data the tensor owns.
final class TensorHandle: Handle {
  let shape: CShape
  /// Never NULL: at least one byte is allocated for a tensor with no elements.
  let data: UnsafeMutableRawPointer

  var type: TensorType { shape.type }

  /// A tensor holding a copy of the `byteCount` bytes at `source` (nil when `byteCount` is 0).
  init(_ type: TensorType, byteCount: Int, copying source: UnsafeRawPointer?) throws(APIError) {
    guard let data = malloc(max(byteCount, 1)) else {
      throw .invalid("cannot allocate \(byteCount) bytes for a \(type) tensor")
    }
    if byteCount > 0, let source { data.copyMemory(from: source, byteCount: byteCount) }
    self.data = data
    shape = CShape(type)
  }

  /// A tensor holding a copy of a host tensor's elements.
  static func copying(_ tensor: HostTensor) throws(APIError) -> TensorHandle {
    let made = tensor.withUnsafeBytes { raw in
      Result { () throws(APIError) in
        try TensorHandle(tensor.type, byteCount: raw.count, copying: raw.baseAddress)
      }
    }
    return try made.get()
  }

  /// The elements as a host tensor (a copy).
  func hostTensor() throws(RuntimeError) -> HostTensor { try HostTensor(type, copying: data) }

  deinit { free(data) }
}

/// `scalpel_executable`: a graph prepared by a backend, with its signature in C form.
final class ExecutableHandle: Handle {
  /// A parameter or result: its name and type as the introspection calls return them.
  final class Port {
    let name: UnsafeMutablePointer<CChar>
    let shape: CShape

    init(name: String, type: TensorType) throws(APIError) {
      self.name = try ownedCString(name)
      shape = CShape(type)
    }

    deinit { free(name) }
  }

  let executable: any GraphExecutable
  let inputs: [Port]
  let outputs: [Port]

  /// `graph` is the graph as the caller gave it (the JIT's executable holds a fused copy).
  init(_ executable: any GraphExecutable, signatureOf graph: Graph) throws(APIError) {
    self.executable = executable
    var inputs: [Port] = []
    for p in graph.parameters { inputs.append(try Port(name: p.name, type: p.type)) }
    let types = graph.valueTypes()
    var outputs: [Port] = []
    for r in graph.results {
      guard let type = types[r.value] else {
        throw APIError(SCALPEL_ERROR_VERIFY, "result '\(r.name)' refers to an undefined value")
      }
      outputs.append(try Port(name: r.name, type: type))
    }
    self.inputs = inputs
    self.outputs = outputs
  }
}
