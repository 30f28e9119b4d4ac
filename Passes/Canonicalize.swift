import IR

/// `canonicalize`: algebraic identities and simplification of shape ops, by pattern rewriting.
///
/// Rewrites ("1" and "0" are splat `constant`s with that value):
/// - `x*1`, `1*x`, `x+0`, `0+x`, `x-0`, `x/1` → `x`. For floats `x+0` turns `-0` into `+0`,
///   which this rewrite ignores (as XLA and others do); all other cases are exact.
/// - `x-x` → `0` for integer dtypes only (for floats, `inf-inf` and `nan-nan` are NaN).
/// - `neg(neg(x))` → `x`.
/// - `transpose(transpose(x, p), q)` → `transpose(x, p∘q)`; transposing by the identity → `x`.
/// - `reshape(reshape(x))` → one reshape; a reshape or broadcast to the operand's shape → `x`.
/// - `broadcast(broadcast(x))` → one broadcast; `broadcast` of a splat constant → a constant of
///   the broadcast type.
/// - `cast` to the operand's own type → `x`; a slice covering the whole operand → `x`.
///
/// Requires: a verified graph. Establishes: none of the patterns above matches; result names
/// are kept (a replaced result refers to the replacement under its own name). Leaves the
/// nodes it bypasses in place for `dce`. Idempotent: yes (it runs to a fixpoint).
public struct Canonicalize: Pass {
  public let name = "canonicalize"
  /// Sweep limit of the rewrite driver.
  public var maxIterations: Int

  public init(maxIterations: Int = 10) { self.maxIterations = maxIterations }

  public mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    let driver = PatternDriver(patterns: Canonicalize.patterns, maxIterations: maxIterations)
    return try driver.run(on: &graph, context: &context, statisticsPrefix: name)
  }

  /// The patterns, in the order they are tried on each node.
  public static let patterns: [any RewritePattern] = [
    RewriteRule("mul-one") { n, r in
      guard case .binary(.mul) = n.op else { return nil }
      return other(than: 1, n.operands, r)
    },
    RewriteRule("add-zero") { n, r in
      guard case .binary(.add) = n.op else { return nil }
      return other(than: 0, n.operands, r)
    },
    RewriteRule("sub-zero") { n, r in
      guard case .binary(.sub) = n.op, r.splat(of: n.operands[1]) == 0 else { return nil }
      return n.operands[0]
    },
    RewriteRule("div-one") { n, r in
      guard case .binary(.div) = n.op, r.splat(of: n.operands[1]) == 1 else { return nil }
      return n.operands[0]
    },
    RewriteRule("sub-self") { n, r in
      guard case .binary(.sub) = n.op, n.operands[0] == n.operands[1], n.type.dtype.isInteger
      else { return nil }
      return r.constant(0, n.type)
    },
    RewriteRule("neg-neg") { n, r in
      guard case .unary(.neg) = n.op, let inner = r.producer(of: n.operands[0]),
        case .unary(.neg) = inner.op
      else { return nil }
      return inner.operands[0]
    },
    RewriteRule("transpose-identity") { n, r in
      guard case .transpose(let perm) = n.op, perm == Array(perm.indices) else { return nil }
      return n.operands[0]
    },
    RewriteRule("transpose-transpose") { n, r in
      guard case .transpose(let outer) = n.op, let inner = r.producer(of: n.operands[0]),
        case .transpose(let first) = inner.op, outer.allSatisfy(first.indices.contains)
      else { return nil }
      // y = transpose(x, p) has y[i] = x[p[i]]; z = transpose(y, q) has z[j] = x[p[q[j]]].
      let composed = outer.map { first[$0] }
      if composed == Array(composed.indices) { return inner.operands[0] }
      return r.emit(.transpose(perm: composed), [inner.operands[0]])
    },
    RewriteRule("reshape-same-shape") { n, r in
      guard case .reshape = n.op, r.type(of: n.operands[0]) == n.type else { return nil }
      return n.operands[0]
    },
    RewriteRule("reshape-reshape") { n, r in
      guard case .reshape(let shape) = n.op, let inner = r.producer(of: n.operands[0]),
        case .reshape = inner.op
      else { return nil }
      return r.emit(.reshape(shape: shape), [inner.operands[0]])
    },
    RewriteRule("broadcast-same-shape") { n, r in
      guard case .broadcast = n.op, r.type(of: n.operands[0]) == n.type else { return nil }
      return n.operands[0]
    },
    RewriteRule("broadcast-splat") { n, r in
      guard case .broadcast = n.op, let v = r.splat(of: n.operands[0]) else { return nil }
      return r.constant(v, n.type)
    },
    RewriteRule("broadcast-broadcast") { n, r in
      guard case .broadcast(let shape) = n.op, let inner = r.producer(of: n.operands[0]),
        case .broadcast = inner.op
      else { return nil }
      return r.emit(.broadcast(shape: shape), [inner.operands[0]])
    },
    RewriteRule("cast-same-type") { n, r in
      guard case .cast = n.op, r.type(of: n.operands[0]) == n.type else { return nil }
      return n.operands[0]
    },
    RewriteRule("slice-whole") { n, r in
      // With every start at 0, a result as large as the operand takes every element in order
      // (a stride above 1 can only give that on axes of size 0 or 1).
      guard case .slice(let start, _, _) = n.op, start.allSatisfy({ $0 == 0 }),
        r.type(of: n.operands[0]) == n.type
      else { return nil }
      return n.operands[0]
    },
  ]
}

/// For a binary op with a splat `value` on either side: the other operand.
private func other(than value: Double, _ operands: [Value], _ r: Rewriter) -> Value? {
  if r.splat(of: operands[1]) == value { return operands[0] }
  if r.splat(of: operands[0]) == value { return operands[1] }
  return nil
}
