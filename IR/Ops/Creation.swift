// Creation ops: no operands; the result type is declared.
//
//   constant {value = v} : T     every element of T is v (a splat; integers and i1 need an
//                                exact value in range); no inputs, so nothing to differentiate
//   iota {axis = a} : T          element at index (i₀, …, iₙ) is iₐ

func constantType(_ value: Scalar, _ operands: [TensorType], _ annotated: TensorType?)
  throws(TypeError) -> TensorType
{
  try expectArity(operands, 0)
  guard let t = annotated else { throw TypeError("needs a result type") }
  guard t.shape.allSatisfy({ $0 >= 0 }) else { throw TypeError("negative dimension in \(t)") }
  let v = value.value
  switch t.dtype {
  case .f32, .f64: break
  case .i1:
    guard v == 0 || v == 1 else { throw TypeError("an i1 constant must be 0 or 1, got \(value)") }
  case .i32:
    guard v.rounded() == v, Int32(exactly: v) != nil else {
      throw TypeError("an i32 constant must be an integer in range, got \(value)")
    }
  case .i64:
    guard v.rounded() == v, Int64(exactly: v) != nil else {
      throw TypeError("an i64 constant must be an integer in range, got \(value)")
    }
  }
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
