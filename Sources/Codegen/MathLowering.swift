import CLLVM

// Transcendental functions without an LLVM intrinsic, written from the intrinsics so they
// vectorize: every function here works on a scalar or a vector of f32 or f64 lanes.
//
// Accuracy (checked against libm in CodegenTests): tanh and erf are evaluated in f64 (f32
// inputs are widened and the result rounded once), with a relative error below 1e-13, so
// the f32 results are within one rounding of the correctly rounded value. NaN and ±∞ give
// what libm gives: tanh(±∞) = ±1, erf(±∞) = ±1, both NaN for NaN.

extension Emitter {
  /// tanh x = sign(x)·(1 - 2/(e^{2|x|} + 1)); for |x| < 0.01 the Taylor polynomial
  /// x - x³/3 + 2x⁵/15 - 17x⁷/315 + 62x⁹/2835 avoids the cancellation in 1 - q.
  func tanh(_ x: IRValue) -> IRValue {
    let element = split(typeOf(x)).element
    let v = convertFloat(x, to: f64)
    let t = typeOf(v)
    let a = intrinsic("llvm.fabs", v)
    let e = intrinsic("llvm.exp", fmul(a, constant(2, t)))
    let q = fdiv(constant(2, t), fadd(e, constant(1, t)))
    let large = intrinsic("llvm.copysign", [t], [fsub(constant(1, t), q), v])
    let s = fmul(v, v)
    var p = constant(62.0 / 2835, t)
    for c in [-17.0 / 315, 2.0 / 15, -1.0 / 3, 1] { p = fmuladd(p, s, constant(c, t)) }
    let small = fmul(v, p)
    let y = select(fcmp(LLVMRealOLT, a, constant(0.01, t)), small, large)
    return convertFloat(y, to: element)
  }

  /// The logistic function as the interpreter computes it, in the input's precision:
  /// with e = e^{-|x|}, 1/(1+e) for x ≥ 0 and e/(1+e) otherwise (never overflows).
  func sigmoid(_ x: IRValue) -> IRValue {
    let t = typeOf(x)
    let e = exp(LLVMBuildFNeg(builder, intrinsic("llvm.fabs", x), "")!)
    let denominator = fadd(constant(1, t), e)
    let nonNegative = fcmp(LLVMRealOGE, x, constant(0, t))
    return fdiv(select(nonNegative, constant(1, t), e), denominator)
  }

  /// erf x in f64, rounded once to the input's precision.
  ///
  /// |x| < 2.5: erf x = (2/√π)·x·e^{-x²}·Σₙ (2x²)ⁿ/(2n+1)!!, a series of positive terms
  /// (no cancellation), 36 terms. |x| ≥ 2.5: erf x = sign(x)·(1 - erfc|x|) with
  /// erfc a = e^{-a²}/(√π·F), F = a + (1/2)/(a + 1/(a + (3/2)/(a + …))) (Laplace's continued
  /// fraction, 24 levels, evaluated from the bottom).
  func erf(_ x: IRValue) -> IRValue {
    let element = split(typeOf(x)).element
    let v = convertFloat(x, to: f64)
    let t = typeOf(v)
    let a = intrinsic("llvm.fabs", v)
    let s = fmul(v, v)
    let gauss = intrinsic("llvm.exp", LLVMBuildFNeg(builder, s, "")!)
    // Series: Σ dₙ uⁿ with u = 2x², dₙ = 1/(2n+1)!!, in Horner form.
    let terms = 36
    var d = [1.0]
    for n in 1...terms { d.append(d[n - 1] / Double(2 * n + 1)) }
    let u = fmul(s, constant(2, t))
    var sum = constant(d[terms], t)
    for n in stride(from: terms - 1, through: 0, by: -1) {
      sum = fmuladd(sum, u, constant(d[n], t))
    }
    let twoOverRootPi = 2 / Double.pi.squareRoot()
    let small = fmul(fmul(v, constant(twoOverRootPi, t)), fmul(gauss, sum))
    // Continued fraction for erfc.
    var f = a
    for k in stride(from: 24, through: 1, by: -1) {
      f = fadd(a, fdiv(constant(Double(k) / 2, t), f))
    }
    let erfc = fdiv(gauss, fmul(f, constant(Double.pi.squareRoot(), t)))
    let large = intrinsic("llvm.copysign", [t], [fsub(constant(1, t), erfc), v])
    let y = select(fcmp(LLVMRealOLT, a, constant(2.5, t)), small, large)
    return convertFloat(y, to: element)
  }
}

extension Emitter {
  /// eˣ: f32 (scalar or vector) without a libm call, f64 through `llvm.exp`.
  ///
  /// f32: n = rint(x·log₂e), r = x − n·ln 2 (Cody–Waite: ln 2 split in a short high part and
  /// a low part, so n·ln2_hi is exact), eʳ by its degree-7 Taylor polynomial on |r| ≤ ln2/2
  /// (truncation below 6e-9 relative), scaled by 2ⁿ built from exponent bits in two halves
  /// 2^⌊n/2⌋·2^(n−⌊n/2⌋) so that results near overflow and gradual underflow stay right.
  /// Relative error about 2e-7 (a few f32 ulps); x > 88.73 gives +∞, x < −104 gives 0, NaN
  /// gives NaN.
  func exp(_ x: IRValue) -> IRValue {
    let (element, width) = split(typeOf(x))
    guard element == f32 else { return intrinsic("llvm.exp", x) }
    let t = typeOf(x)
    let ints = vector(i32, width)
    let clamped = intrinsic(
      "llvm.minnum", [t], [intrinsic("llvm.maxnum", [t], [x, constant(-104, t)]), constant(89, t)])
    let n = intrinsic("llvm.rint", fmul(clamped, constant(1.4426950408889634, t)))
    var r = fmuladd(LLVMBuildFNeg(builder, n, "")!, constant(0.693359375, t), clamped)
    r = fmuladd(LLVMBuildFNeg(builder, n, "")!, constant(-2.12194440e-4, t), r)
    var p = constant(1.0 / 5040, t)
    for c in [1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1] {
      p = fmuladd(p, r, constant(c, t))
    }
    let k = LLVMBuildFPToSI(builder, n, ints, "")!
    let half = LLVMBuildAShr(builder, k, integer(1, ints), "")!
    func power(_ e: IRValue) -> IRValue {
      let biased = add(e, integer(127, ints))
      let bits = LLVMBuildShl(builder, biased, integer(23, ints), "")!
      return LLVMBuildBitCast(builder, bits, t, "")
    }
    let y = fmul(fmul(p, power(half)), power(LLVMBuildSub(builder, k, half, "")))
    let big = fcmp(LLVMRealOGT, x, constant(88.72283935546875, t))
    let small = fcmp(LLVMRealOLT, x, constant(-104, t))
    let nan = fcmp(LLVMRealUNO, x, x)
    let bounded = select(big, constant(.infinity, t), select(small, constant(0, t), y))
    return select(nan, x, bounded)
  }
}
