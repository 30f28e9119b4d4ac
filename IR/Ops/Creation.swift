// Creation ops: no operands; the result type is declared.
//
//   constant {value = v} : T     every element of T is v (a splat); not differentiable (no inputs)
//   iota {axis = a} : T          element at index (i₀, …, iₙ) is iₐ

func constantType(_ operands: [TensorType], _ annotated: TensorType?) throws(TypeError) -> TensorType {
  try expectArity(operands, 0)
  guard let t = annotated else { throw TypeError("needs a result type") }
  guard t.shape.allSatisfy({ $0 >= 0 }) else { throw TypeError("negative dimension in \(t)") }
  return t
}

func iotaType(_ axis: Int, _ operands: [TensorType], _ annotated: TensorType?) throws(TypeError)
  -> TensorType
{
  try expectArity(operands, 0)
  guard let t = annotated else { throw TypeError("needs a result type") }
  try requireNumeric(t, "result")
  guard t.shape.allSatisfy({ $0 >= 0 }) else { throw TypeError("negative dimension in \(t)") }
  _ = try normalizeAxis(axis, rank: t.rank)
  return t
}
