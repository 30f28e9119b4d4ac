import IR

/// A custom op the JIT can run: IR's `CustomOp` plus a host kernel on raw buffers.
///
/// The compiled graph calls `execute` between its generated kernels, with the operands and the
/// result in the run's buffers (row-major, i1 as one byte per element, 0 or 1). The result
/// buffer is uninitialized and never overlaps an operand. A custom op without this conformance
/// makes `JIT.compile` throw.
public protocol JITLowerableCustomOp: CustomOp {
  /// Writes the result for these operands; a thrown error becomes the run's `RuntimeError`.
  func execute(
    operands: [UnsafeRawBufferPointer], operandTypes: [TensorType],
    result: UnsafeMutableRawBufferPointer, resultType: TensorType
  ) throws
}
