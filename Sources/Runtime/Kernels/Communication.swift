import IR

/// `all_reduce`: a copy of `x` reduced in place by the context's communicator.
func allReduceKernel(
  _ x: HostTensor, _ reduction: CollectiveReduction, communicator name: String,
  _ communicators: Communicators
) throws(KernelError) -> HostTensor {
  do {
    return try communicators.named(name).allReduce(x, reduction)
  } catch {
    throw KernelError(error.message)
  }
}
