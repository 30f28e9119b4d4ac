/// The Unicode character classes the pre-tokenizers use, from the scalar's properties.
extension Unicode.Scalar {
  /// `\p{L}`: general category Lu, Ll, Lt, Lm or Lo.
  var isLetter: Bool {
    switch properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
    default: false
    }
  }

  /// `\p{N}`: general category Nd, Nl or No.
  var isNumber: Bool {
    switch properties.generalCategory {
    case .decimalNumber, .letterNumber, .otherNumber: true
    default: false
    }
  }

  /// `\s`: the White_Space property.
  var isSpace: Bool { properties.isWhitespace }

  /// `\p{P}`: general category Pc, Pd, Ps, Pe, Pi, Pf or Po.
  var isPunctuation: Bool {
    switch properties.generalCategory {
    case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
      .initialPunctuation, .finalPunctuation, .otherPunctuation:
      true
    default: false
    }
  }

  /// `\p{C}`: general category Cc, Cf, Cs, Co or Cn.
  var isOther: Bool {
    switch properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned: true
    default: false
    }
  }
}
