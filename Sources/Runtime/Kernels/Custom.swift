import IR

/// A custom op the interpreter can run: IR's `CustomOp` plus a host kernel.
///
/// The interpreter checks that the returned tensor has the node's result type.
public protocol InterpretableCustomOp: CustomOp {
  /// The result for these operands (already checked against the node's operand types).
  func evaluate(_ operands: [HostTensor], resultType: TensorType) throws -> HostTensor
}

/// Runs a custom op's host kernel, or explains why it cannot run.
func customKernel(_ box: CustomOpBox, _ operands: [HostTensor], _ type: TensorType)
  throws(KernelError)
  -> HostTensor
{
  if let composite = box.op as? any CompositeCustomOp {
    let body = composite.body
    guard body.parameters.count == operands.count, body.results.count == 1 else {
      throw KernelError(
        "custom op '\(box.op.name)': its body takes \(body.parameters.count) inputs and has "
          + "\(body.results.count) results, the node gives \(operands.count) operands")
    }
    let inputs = Dictionary(
      zip(body.parameters.map(\.name), operands), uniquingKeysWith: { a, _ in a })
    let out: [String: HostTensor]
    do {
      out = try Interpreter().run(body, inputs: inputs)
    } catch {
      throw KernelError(error.message)
    }
    guard let result = out[body.results[0].name] else {
      throw KernelError("custom op '\(box.op.name)': its body produced no result")
    }
    return result
  }
  guard let op = box.op as? any InterpretableCustomOp else {
    throw KernelError(
      "custom op '\(box.op.name)' has no interpreter kernel (conform it to InterpretableCustomOp)")
  }
  let result: HostTensor
  do {
    result = try op.evaluate(operands, resultType: type)
  } catch let error as RuntimeError {
    throw KernelError(error.message)
  } catch {
    throw KernelError("custom op '\(box.op.name)' failed: \(error)")
  }
  guard result.type == type else {
    throw KernelError("custom op '\(box.op.name)' returned \(result.type), expected \(type)")
  }
  return result
}
