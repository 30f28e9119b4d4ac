// Collective communication: the ranks of a data-parallel job exchange tensors.
//
//   all_reduce {communicator = "world", reduction = "sum"}    y = Σ_r x_r       on every rank r
//   all_reduce {communicator = "world", reduction = "mean"}   y = (1/N) Σ_r x_r
//
// The type rule is the identity (a float tensor of any shape; every rank must hold the same
// type). `communicator` names the group of N ranks; which engine carries it (one process, MPI,
// later NCCL or Gloo) is the runtime's business: the interpreter and the JIT look the name up
// in the communicators of their execution context, so the IR never names an engine.
//
// Gradient. Every rank's result is the same function of all ranks' operands, and the quantity
// a data-parallel job differentiates is the sum of every rank's loss, L = Σ_r' L_r'(y). Then
//   sum:   x̄_r = Σ_r' ∂L_r'/∂y = all_reduce_sum(ȳ)
//   mean:  x̄_r = (1/N) Σ_r' ȳ_r' = all_reduce_mean(ȳ)
// so the VJP of an all_reduce is the same all_reduce of the cotangent (the rule of Horovod and
// of PyTorch's differentiable collectives). With one rank both are the identity.
//
// The op communicates: passes must not fold or duplicate it, and every rank must run the same
// all_reduce ops in the same order (they do when every rank compiles the same graph with the
// same passes).

/// How an `all_reduce` combines the ranks' tensors.
public enum CollectiveReduction: String, Sendable, Hashable, CaseIterable {
  case sum, mean
}

func allReduceType(_ communicator: String, _ operands: [TensorType]) throws(TypeError)
  -> TensorType
{
  try expectArity(operands, 1)
  try requireFloat(operands[0])
  guard !communicator.isEmpty else { throw TypeError("the communicator name is empty") }
  return operands[0]
}

// MARK: - Gradients

func allReduceVJP(_ reduction: CollectiveReduction, _ communicator: String, _ c: VJPContext)
  -> Value?
{
  guard c.needs[0] else { return nil }
  return c.builder.allReduce(c.cotangent, reduction, communicator: communicator)
}
