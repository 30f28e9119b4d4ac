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
    let e = intrinsic("llvm.exp", LLVMBuildFNeg(builder, intrinsic("llvm.fabs", x), "")!)
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
