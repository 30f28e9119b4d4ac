import CLLVM
import IR

// Elementwise ops (IR/Ops/Elementwise.swift) with the interpreter's semantics
// (Runtime/Kernels/Elementwise.swift): integers wrap, floats follow IEEE 754, max/min propagate
// NaN and return the first operand on ties, comparisons with NaN are false, casts round or
// truncate as documented there. The value functions work on scalars and on vectors, so the same
// code serves the vector main loop, the scalar tail and fused regions (RegionLowering.swift).

/// Failure codes a kernel returns (0 is success).
enum FailureCode: Int32 {
  case divisionByZero = 1
  case unrepresentableCast = 2
  case indexOutOfRange = 3
}

extension Emitter {
  /// Whether the op can fail at run time and so is emitted as a checked scalar loop.
  func needsChecks(_ op: Op, operands: [DType], result: DType) -> Bool {
    switch op {
    case .binary(.div): return result.isInteger
    case .cast: return operands[0].isFloat && result.isInteger
    default: return false
    }
  }

  /// The result of an unchecked elementwise op on register values.
  func elementwiseValue(_ op: Op, _ x: [IRValue], operands: [DType], result: DType) -> IRValue {
    switch op {
    case .unary(let k): return unaryValue(k, x[0], operands[0])
    case .binary(let k): return binaryValue(k, x[0], x[1], operands[0])
    case .compare(let k): return compareValue(k, x[0], x[1], operands[0])
    case .select: return select(x[0], x[1], x[2])
    case .cast: return castValue(x[0], from: operands[0], to: result)
    default: return x[0]  // only elementwise ops reach here (see `Op.isElementwise`)
    }
  }

  func unaryValue(_ k: UnaryOp, _ x: IRValue, _ d: DType) -> IRValue {
    let t = typeOf(x)
    if d.isInteger {
      let zero = constant(0, t)
      switch k {
      case .neg: return LLVMBuildSub(builder, zero, x, "")
      case .abs: return select(icmp(LLVMIntSLT, x, zero), LLVMBuildSub(builder, zero, x, ""), x)
      default: return select(icmp(LLVMIntSGT, x, zero), x, zero)  // relu (type rule)
      }
    }
    switch k {
    case .neg: return LLVMBuildFNeg(builder, x, "")
    case .exp: return exp(x)
    case .log: return intrinsic("llvm.log", x)
    case .sqrt: return intrinsic("llvm.sqrt", x)
    case .rsqrt: return fdiv(constant(1, t), intrinsic("llvm.sqrt", x))
    case .tanh: return tanh(x)
    case .sigmoid: return sigmoid(x)
    case .relu:
      // x > 0 or NaN: x; otherwise +0.
      return select(fcmp(LLVMRealUGT, x, constant(0, t)), x, constant(0, t))
    case .silu: return fmul(x, sigmoid(x))
    case .gelu:
      // x·(1 + erf(x/√2))/2, in the interpreter's order of operations.
      let inverseRoot2 = d == .f32 ? Double(1 / Float(2).squareRoot()) : 1 / 2.0.squareRoot()
      let e = erf(fmul(x, constant(inverseRoot2, t)))
      return fdiv(fmul(x, fadd(constant(1, t), e)), constant(2, t))
    case .abs: return intrinsic("llvm.fabs", x)
    case .reciprocal: return fdiv(constant(1, t), x)
    case .sin: return intrinsic("llvm.sin", x)
    case .cos: return intrinsic("llvm.cos", x)
    case .erf: return erf(x)
    }
  }

  func binaryValue(_ k: BinaryOp, _ a: IRValue, _ b: IRValue, _ d: DType) -> IRValue {
    if d.isInteger {
      switch k {
      case .add: return add(a, b)
      case .sub: return LLVMBuildSub(builder, a, b, "")
      case .mul: return mul(a, b)
      case .max: return select(icmp(LLVMIntSGE, a, b), a, b)
      case .min: return select(icmp(LLVMIntSLE, a, b), a, b)
      // A zero divisor is checked by the caller (`checkedValue`); pow is float only.
      case .div, .pow: return integerQuotient(a, b)
      }
    }
    switch k {
    case .add: return fadd(a, b)
    case .sub: return fsub(a, b)
    case .mul: return fmul(a, b)
    case .div: return fdiv(a, b)
    case .max, .min:
      // numpy maximum/minimum: a NaN operand gives a + b (NaN); ties give the first operand.
      let first = fcmp(k == .max ? LLVMRealOGE : LLVMRealOLE, a, b)
      return select(fcmp(LLVMRealUNO, a, b), fadd(a, b), select(first, a, b))
    case .pow: return intrinsic("llvm.pow", [typeOf(a)], [a, b])
    }
  }

  /// a / b truncated toward zero for a nonzero b; `min / -1` wraps to `min` (no trap).
  func integerQuotient(_ a: IRValue, _ b: IRValue) -> IRValue {
    let t = typeOf(a)
    let minusOne = icmp(LLVMIntEQ, b, integer(-1, t))
    let safe = select(or(minusOne, icmp(LLVMIntEQ, b, integer(0, t))), integer(1, t), b)
    let negated = LLVMBuildSub(builder, integer(0, t), a, "")!
    return select(minusOne, negated, LLVMBuildSDiv(builder, a, safe, ""))
  }

  func compareValue(_ k: CompareOp, _ a: IRValue, _ b: IRValue, _ d: DType) -> IRValue {
    if d.isFloat {
      switch k {
      case .greater: return fcmp(LLVMRealOGT, a, b)
      case .less: return fcmp(LLVMRealOLT, a, b)
      case .equal: return fcmp(LLVMRealOEQ, a, b)
      }
    }
    switch k {
    case .greater: return icmp(LLVMIntSGT, a, b)
    case .less: return icmp(LLVMIntSLT, a, b)
    case .equal: return icmp(LLVMIntEQ, a, b)
    }
  }

  /// Casts that cannot fail (float → integer is checked separately and then truncates).
  func castValue(_ x: IRValue, from: DType, to: DType) -> IRValue {
    if from == to { return x }
    let width = split(typeOf(x)).width
    let target = vector(scalarType(to), width)
    switch (from, to) {
    case (_, .i1):
      return from.isFloat
        ? fcmp(LLVMRealUNE, x, constant(0, typeOf(x))) : icmp(LLVMIntNE, x, constant(0, typeOf(x)))
    case (.i1, _):
      return to.isFloat
        ? LLVMBuildUIToFP(builder, x, target, "") : LLVMBuildZExt(builder, x, target, "")
    case (.f32, .f64), (.f64, .f32): return convertFloat(x, to: scalarType(to))
    case (.i32, .f32), (.i32, .f64), (.i64, .f32), (.i64, .f64):
      return LLVMBuildSIToFP(builder, x, target, "")
    case (.i64, .i32): return LLVMBuildTrunc(builder, x, target, "")
    case (.i32, .i64): return LLVMBuildSExt(builder, x, target, "")
    default: return LLVMBuildFPToSI(builder, x, target, "")  // float → integer, range checked
    }
  }

  /// An elementwise kernel over `count` elements: a vector loop of the host SIMD width, then a
  /// scalar tail only when `count` is not a multiple of it. Ops that can fail run a checked
  /// scalar loop that stops at the first bad element.
  func emitElementwise(
    _ name: String, _ op: Op, operands: [DType], result: DType, count: Int
  ) {
    let buffers = beginKernel(name, buffers: operands + [result])
    let out = buffers[operands.count]
    if needsChecks(op, operands: operands, result: result) {
      loop(to: count) { i in
        let x = operands.indices.map { load(buffers[$0], operands[$0], i) }
        store(checkedValue(op, x, operands: operands, result: result, at: i), out, result, i)
      }
      endKernel()
      return
    }
    let widest = (operands + [result]).map(\.byteSize).max() ?? 4
    let width = lanes(forBytes: widest)
    flatLoop(count: count, width: width) { i, w in
      let x = operands.indices.map { load(buffers[$0], operands[$0], i, width: w) }
      store(elementwiseValue(op, x, operands: operands, result: result), out, result, i)
    }
    endKernel()
  }

  /// Integer division (zero divisor fails) or float → integer cast (NaN, ±∞ and out-of-range
  /// values fail), on scalars at flat position `i`.
  func checkedValue(_ op: Op, _ x: [IRValue], operands: [DType], result: DType, at i: IRValue)
    -> IRValue
  {
    if case .binary = op {
      let (a, b) = (x[0], x[1])
      let zero = icmp(LLVMIntEQ, b, integer(0, typeOf(b)))
      let dividend = operands[0] == .i64 ? a : LLVMBuildSExt(builder, a, i64, "")!
      fail(if: zero, code: FailureCode.divisionByZero.rawValue, position: i, value: dividend)
      return integerQuotient(a, b)
    }
    // trunc(x) fits the target iff lower < x < upper (exclusive bounds exact in f64).
    let wide = convertFloat(x[0], to: f64)
    let (lower, upper) =
      result == .i32 ? (-2_147_483_649.0, 2_147_483_648.0) : ((-0x1p63).nextDown, 0x1p63)
    let inside = and(
      fcmp(LLVMRealOGT, wide, constant(lower, f64)), fcmp(LLVMRealOLT, wide, constant(upper, f64)))
    let bits = LLVMBuildBitCast(builder, wide, i64, "")!
    fail(
      if: LLVMBuildNot(builder, inside, ""), code: FailureCode.unrepresentableCast.rawValue,
      position: i, value: bits)
    return LLVMBuildFPToSI(builder, x[0], scalarType(result), "")
  }
}
