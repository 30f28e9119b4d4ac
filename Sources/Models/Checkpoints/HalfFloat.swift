/// Conversions between `Float` and the 16-bit float formats stored in checkpoints (IEEE half and
/// bfloat16), done on bit patterns so they work on every platform.
enum HalfFloat {
  /// The `Float` value of an IEEE 754 binary16 bit pattern (exact).
  static func float(fromHalf h: UInt16) -> Float {
    let sign: UInt32 = UInt32(h & 0x8000) << 16
    let exponent = UInt32((h >> 10) & 0x1f)
    let mantissa = UInt32(h & 0x3ff)
    if exponent == 0 {
      // Zero or subnormal: mantissa · 2⁻²⁴.
      let magnitude = Float(mantissa) * 0x1p-24
      return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 31 {
      return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
    }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
  }

  /// The nearest binary16 bit pattern to `value` (ties to even; overflow to infinity).
  static func half(from value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16((bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xff)
    var mantissa = bits & 0x7f_ffff
    if exponent == 255 {
      return sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0)
    }
    let halfExponent = exponent - 127 + 15
    if halfExponent >= 31 { return sign | 0x7c00 }
    if halfExponent <= 0 {
      // Subnormal half: m · 2⁻²⁴ with m = (1.mantissa · 2²³) >> (14 − halfExponent), rounded.
      if halfExponent < -10 { return sign }
      mantissa |= 0x80_0000
      let shift = UInt32(14 - halfExponent)
      var half = mantissa >> shift
      let rest = mantissa & ((1 << shift) - 1)
      let halfway: UInt32 = 1 << (shift - 1)
      if rest > halfway || (rest == halfway && half & 1 == 1) { half += 1 }
      return sign | UInt16(half)
    }
    var half = (UInt32(halfExponent) << 10) | (mantissa >> 13)
    let rest = mantissa & 0x1fff
    // A carry out of the mantissa correctly bumps the exponent (up to infinity).
    if rest > 0x1000 || (rest == 0x1000 && half & 1 == 1) { half += 1 }
    return sign | UInt16(half)
  }

  /// The `Float` value of a bfloat16 bit pattern (exact).
  static func float(fromBFloat16 b: UInt16) -> Float {
    Float(bitPattern: UInt32(b) << 16)
  }

  /// The nearest bfloat16 bit pattern to `value` (ties to even; NaN stays NaN).
  static func bfloat16(from value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(bits >> 16) | 0x40 }
    let rounding = 0x7fff + ((bits >> 16) & 1)
    return UInt16((bits &+ rounding) >> 16)
  }
}
