// swift-format-ignore-file: AlwaysUseLowerCamelCase
// (the function names are the C API's, from include/scalpel.h)

import CScalpelHeader
import IR
import Runtime

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// The tensor half of include/scalpel.h: tensors, an executable's signature, execution.

@c @implementation
public func scalpel_tensor_new(
  _ dtype: UnsafePointer<CChar>?, _ rank: Int32, _ shape: UnsafePointer<Int64>?,
  _ data: UnsafeRawPointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
  out?.pointee = nil
  return boundary { () throws(APIError) in
    let out = try required(out, "out")
    let name = try string(dtype, "dtype")
    guard let dtype = DType(rawValue: name) else {
      let known = DType.allCases.map(\.rawValue).joined(separator: ", ")
      throw .invalid("unknown dtype '\(name)'; expected one of \(known)")
    }
    guard (0...SCALPEL_MAX_RANK).contains(rank) else {
      throw .invalid("rank is \(rank); expected 0 to \(SCALPEL_MAX_RANK)")
    }
    var dimensions: [Int] = []
    if rank > 0 {
      let shape = try required(shape, "shape (rank \(rank))")
      for i in 0..<Int(rank) {
        guard shape[i] >= 0 else {
          throw .invalid("shape[\(i)] is \(shape[i]); dimensions must be 0 or more")
        }
        dimensions.append(Int(shape[i]))
      }
    }
    let type = TensorType(dtype, dimensions)
    guard let count = checkedElementCount(dimensions) else {
      throw .invalid("shape \(dimensions) has more elements than fit in 64 bits")
    }
    let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
    guard !overflow else { throw .invalid("\(type) needs more bytes than fit in 64 bits") }
    if byteCount > 0 { _ = try required(data, "data (\(type) has \(count) elements)") }
    out.pointee = try TensorHandle(type, byteCount: byteCount, copying: data).retainedHandle()
  }
}

@c @implementation
public func scalpel_tensor_info(
  _ t: OpaquePointer?, _ dtype: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
  _ rank: UnsafeMutablePointer<Int32>?, _ shape: UnsafeMutablePointer<UnsafePointer<Int64>?>?,
  _ data: UnsafeMutablePointer<UnsafeRawPointer?>?
) -> Int32 {
  boundary { () throws(APIError) in
    let tensor = try TensorHandle.borrow(t, "t")
    describe(tensor.shape, dtype: dtype, rank: rank, shape: shape)
    data?.pointee = UnsafeRawPointer(tensor.data)
  }
}

@c @implementation
public func scalpel_tensor_free(_ t: OpaquePointer?) { TensorHandle.release(t) }

@c @implementation
public func scalpel_executable_counts(
  _ e: OpaquePointer?, _ nInputs: UnsafeMutablePointer<Int32>?,
  _ nOutputs: UnsafeMutablePointer<Int32>?
) -> Int32 {
  boundary { () throws(APIError) in
    let executable = try ExecutableHandle.borrow(e, "e")
    nInputs?.pointee = Int32(clamping: executable.inputs.count)
    nOutputs?.pointee = Int32(clamping: executable.outputs.count)
  }
}

@c @implementation
public func scalpel_executable_input(
  _ e: OpaquePointer?, _ index: Int32, _ name: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
  _ dtype: UnsafeMutablePointer<UnsafePointer<CChar>?>?, _ rank: UnsafeMutablePointer<Int32>?,
  _ shape: UnsafeMutablePointer<UnsafePointer<Int64>?>?
) -> Int32 {
  describePort(e, \.inputs, index, "input", name, dtype, rank, shape)
}

@c @implementation
public func scalpel_executable_output(
  _ e: OpaquePointer?, _ index: Int32, _ name: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
  _ dtype: UnsafeMutablePointer<UnsafePointer<CChar>?>?, _ rank: UnsafeMutablePointer<Int32>?,
  _ shape: UnsafeMutablePointer<UnsafePointer<Int64>?>?
) -> Int32 {
  describePort(e, \.outputs, index, "output", name, dtype, rank, shape)
}

/// The body of `scalpel_executable_input` and `_output`: one port of the signature.
private func describePort(
  _ e: OpaquePointer?, _ ports: KeyPath<ExecutableHandle, [ExecutableHandle.Port]>,
  _ index: Int32, _ what: String, _ name: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
  _ dtype: UnsafeMutablePointer<UnsafePointer<CChar>?>?, _ rank: UnsafeMutablePointer<Int32>?,
  _ shape: UnsafeMutablePointer<UnsafePointer<Int64>?>?
) -> Int32 {
  boundary { () throws(APIError) in
    let all = try ExecutableHandle.borrow(e, "e")[keyPath: ports]
    guard index >= 0, Int(index) < all.count else {
      throw .invalid("\(what) index \(index) is out of range; the graph has \(all.count)")
    }
    name?.pointee = UnsafePointer(all[Int(index)].name)
    describe(all[Int(index)].shape, dtype: dtype, rank: rank, shape: shape)
  }
}

/// Fills the optional dtype, rank and shape outputs of an introspection call.
private func describe(
  _ source: CShape, dtype: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
  rank: UnsafeMutablePointer<Int32>?, shape: UnsafeMutablePointer<UnsafePointer<Int64>?>?
) {
  dtype?.pointee = cString(source.type.dtype)
  rank?.pointee = Int32(clamping: source.type.rank)
  shape?.pointee = UnsafePointer(source.pointer)
}

@c @implementation
public func scalpel_execute(
  _ e: OpaquePointer?, _ nInputs: Int32, _ names: UnsafePointer<UnsafePointer<CChar>?>?,
  _ inputs: UnsafePointer<OpaquePointer?>?, _ nOutputs: UnsafeMutablePointer<Int32>?,
  _ outputNames: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?,
  _ outputs: UnsafeMutablePointer<UnsafeMutablePointer<OpaquePointer?>?>?
) -> Int32 {
  nOutputs?.pointee = 0
  outputNames?.pointee = nil
  outputs?.pointee = nil
  return boundary { () throws(APIError) in
    let nOutputs = try required(nOutputs, "n_outputs")
    let outputNames = try required(outputNames, "output_names")
    let outputs = try required(outputs, "outputs")
    let handle = try ExecutableHandle.borrow(e, "e")
    guard nInputs >= 0 else { throw .invalid("n_inputs is \(nInputs); expected 0 or more") }
    var values: [String: HostTensor] = [:]
    if nInputs > 0 {
      let names = try required(names, "names")
      let inputs = try required(inputs, "inputs")
      for i in 0..<Int(nInputs) {
        let name = try string(names[i], "names[\(i)]")
        let tensor = try TensorHandle.borrow(inputs[i], "inputs[\(i)] ('\(name)')")
        guard values[name] == nil else { throw .invalid("input '\(name)' is given twice") }
        do {
          values[name] = try tensor.hostTensor()
        } catch {
          throw .invalid("input '\(name)': \(error)")
        }
      }
    }
    let results: [String: HostTensor]
    do {
      results = try handle.executable.run(values)
    } catch {
      throw APIError(SCALPEL_ERROR_EXECUTE, "\(error)")
    }
    let ports = handle.outputs
    let namesOut = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(
      capacity: max(ports.count, 1))
    let tensorsOut = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: max(ports.count, 1))
    namesOut.initialize(repeating: nil, count: ports.count)
    tensorsOut.initialize(repeating: nil, count: ports.count)
    do throws(APIError) {
      for (j, port) in ports.enumerated() {
        let name = String(cString: port.name)
        guard let result = results[name] else {
          throw APIError(SCALPEL_ERROR_EXECUTE, "the backend returned no result '\(name)'")
        }
        namesOut[j] = try ownedCString(name)
        tensorsOut[j] = try TensorHandle.copying(result).retainedHandle()
      }
    } catch {
      scalpel_outputs_free(Int32(ports.count), namesOut, tensorsOut)
      throw error
    }
    nOutputs.pointee = Int32(clamping: ports.count)
    outputNames.pointee = namesOut
    outputs.pointee = tensorsOut
  }
}

@c @implementation
public func scalpel_outputs_free(
  _ n: Int32, _ names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
  _ tensors: UnsafeMutablePointer<OpaquePointer?>?
) {
  for i in 0..<max(Int(n), 0) {
    free(names?[i])
    TensorHandle.release(tensors?[i])
  }
  names?.deallocate()
  tensors?.deallocate()
}
