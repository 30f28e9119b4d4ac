import CLLVM
import IR
import Passes

// Fused regions (Passes/Fusion.swift): one kernel per `fused` node. The body's elementwise
// ops are evaluated in registers, lazily and once per element, so a value with several uses
// is computed once; each input is read once per element through its broadcast (stride 0 on
// broadcast axes, a splat when the innermost axis is broadcast). The loop nest runs over the
// axes of `FusedRegion.layout` (size-1 axes dropped, contiguous neighbours merged).
//
// Elementwise root: the innermost axis is cut into chunks and (row, chunk) tiles are what
// threads share. Row-reduction root: one row per output, threads share the rows; the row is
// accumulated as in `emitReduction` (four vector accumulators, f64 for float sums and means)
// with the elementwise expression evaluated in place of the load.

extension Emitter {
  /// The kernel of a fused region computing `result` from the body's parameters.
  func emitRegion(_ name: String, _ body: Graph, result: TensorType, node: Node)
    throws(CompileError)
  {
    let types = body.valueTypes()
    guard body.results.count == 1, let root = body.results.first?.value else {
      throw CompileError("fused body: needs exactly one result", node: node)
    }
    let reduction = FusedRegion.rootReduction(body)
    // The value evaluated per element, and the shape of the loop nest.
    let expression = reduction?.operand ?? root
    guard let shape = types[expression]?.shape else {
      throw CompileError("fused body: the root has no type", node: node)
    }
    let parameterIndex = Dictionary(
      body.parameters.enumerated().map { ($1.value, $0) }, uniquingKeysWith: { a, _ in a })
    var constants: Set<Value> = []
    for n in body.nodes where n.result != root || reduction == nil {
      let operands = n.operands.compactMap { types[$0] }
      switch n.op {
      case .constant:
        constants.insert(n.result)
        continue
      case .broadcast: break
      default:
        guard Fusion.fusable(n, operands: operands) else {
          throw CompileError("fused body: op '\(n.op.name)' cannot be fused", node: node)
        }
      }
      // A value that reaches the region through a broadcast (a copied mask or one-hot) may be
      // smaller: evaluated per element of the region, its inputs are read through the composed
      // broadcast (right-aligned, as the IR's rule), which is each input's own layout stride.
      guard broadcastable(n.type.shape, to: shape) else {
        throw CompileError(
          "fused body: %\(n.name) is \(n.type), not of shape \(shape)", node: node)
      }
    }

    let layout: [FusedRegion.Axis]
    if reduction != nil {
      guard let rows = FusedRegion.rowLayout(body) else {
        throw CompileError(
          "fused body: the reduction is not over the innermost axes of every input", node: node)
      }
      layout = rows
    } else {
      layout = FusedRegion.layout(
        shape: shape, reduced: [], inputShapes: body.parameters.map(\.type.shape))
    }
    let inner = layout[layout.count - 1]
    let outer = Array(layout.dropLast())
    // Output strides of the outer axes: the result holds only them after a reduction.
    let outerStrides =
      reduction != nil
      ? contiguousStrides(outer.map(\.size))
      : Array(contiguousStrides(layout.map(\.size)).dropLast())
    let producer = Dictionary(body.nodes.map { ($0.result, $0) }, uniquingKeysWith: { a, _ in a })
    var uses: [Value: Int] = [:]
    for n in body.nodes {
      for o in n.operands { uses[o, default: 0] += 1 }
    }

    let inputTypes = body.parameters.map(\.type.dtype)
    var widest = result.dtype.byteSize
    for d in inputTypes { widest = max(widest, d.byteSize) }
    for n in body.nodes { widest = max(widest, n.type.dtype.byteSize) }
    let vectorizable = inner.strides.allSatisfy { $0 == 0 || $0 == 1 }
    let width = vectorizable ? lanes(forBytes: widest) : 1

    let buffers = beginKernel(name, buffers: inputTypes + [result.dtype])
    let out = buffers[inputTypes.count]
    let length = inner.size
    let chunk = reduction != nil || length <= Self.flatChunk ? length : Self.flatChunk
    let chunks = (length + chunk - 1) / chunk
    let tiles = outer.reduce(1) { $0 * $1.size } * chunks
    let large = shape.reduce(1, *) >= Self.parallelThreshold

    parallelLoop(extent: tiles, splittable: large) { t in
      var row = chunks == 1 ? t : LLVMBuildUDiv(builder, t, int64(chunks), "")!
      let c: IRValue = chunks == 1 ? int64(0) : LLVMBuildURem(builder, t, int64(chunks), "")
      var bases = [IRValue](repeating: int64(0), count: inputTypes.count)
      var outBase = int64(0)
      for k in stride(from: outer.count - 1, through: 0, by: -1) {
        let index: IRValue =
          k == 0 ? row : LLVMBuildURem(builder, row, int64(outer[k].size), "")
        if k > 0 { row = LLVMBuildUDiv(builder, row, int64(outer[k].size), "") }
        for i in bases.indices where outer[k].strides[i] != 0 {
          bases[i] = add(bases[i], scaled(index, outer[k].strides[i]))
        }
        outBase = add(outBase, scaled(index, outerStrides[k]))
      }
      let start = scaled(c, chunk)

      /// The expression at position `j` of the row (`w` lanes).
      func element(_ j: IRValue, _ w: Int) -> IRValue {
        var values: [Value: IRValue] = [:]
        var loaded: [Int: IRValue] = [:]
        func input(_ i: Int) -> IRValue {
          if let x = loaded[i] { return x }
          let x: IRValue
          switch inner.strides[i] {
          case 0: x = broadcast(load(buffers[i], inputTypes[i], bases[i]), w)
          case 1: x = load(buffers[i], inputTypes[i], add(bases[i], j), width: w)
          default:
            x = load(buffers[i], inputTypes[i], add(bases[i], scaled(j, inner.strides[i])))
          }
          loaded[i] = x
          return x
        }
        // Lazy and memoized: each value once per element; a float product used only by one
        // add or sub is folded into it as `llvm.fmuladd`.
        func value(_ v: Value) -> IRValue {
          if let i = parameterIndex[v] { return input(i) }
          if let x = values[v] { return x }
          guard let n = producer[v] else { return constant(0, vector(f32, w)) }  // unreachable
          let x = evaluate(n)
          values[v] = x
          return x
        }
        func product(_ v: Value) -> Node? {
          guard uses[v] == 1, v != expression, let p = producer[v], case .binary(.mul) = p.op,
            p.type.dtype.isFloat
          else { return nil }
          return p
        }
        func evaluate(_ n: Node) -> IRValue {
          let d = n.type.dtype
          switch n.op {
          case .constant(let s):
            let t = vector(scalarType(d), w)
            if d == .i1 { return integer(s.value != 0 ? 1 : 0, t) }
            return constant(d == .f32 ? Double(Float(s.value)) : s.value, t)
          case .broadcast:
            return value(n.operands[0])
          case .binary(let k) where (k == .add || k == .sub) && d.isFloat:
            let (a, b) = (n.operands[0], n.operands[1])
            if let p = product(a) {
              let c = k == .add ? value(b) : LLVMBuildFNeg(builder, value(b), "")!
              return fmuladd(value(p.operands[0]), value(p.operands[1]), c)
            }
            if let p = product(b) {
              let x = value(p.operands[0])
              return fmuladd(
                k == .add ? x : LLVMBuildFNeg(builder, x, "")!, value(p.operands[1]), value(a))
            }
          default: break
          }
          let operands = n.operands.map(value)
          let operandTypes = n.operands.map { types[$0]?.dtype ?? d }
          return elementwiseValue(n.op, operands, operands: operandTypes, result: d)
        }
        return value(expression)
      }

      if let reduction {
        let kind = ReductionKind(op: reduction.op, dtype: result.dtype)
        let vectors = (0..<(length >= width * 2 ? accumulators : 1)).map { _ in
          variable(reductionStart(kind, width: width))
        }
        let scalar = variable(reductionStart(kind, width: 1))
        accumulateRow(
          kind, out, base: int64(0), length: length, vectors: vectors, scalar: scalar,
          load: { j, w in
            let x = element(j, w)
            return kind.accumulator == kind.dtype ? x : self.convertFloat(x, to: self.f64)
          })
        let total = finishRow(kind, vectors: vectors, scalar: scalar)
        store(reductionResult(kind, total, count: length), out, result.dtype, outBase)
        return
      }
      func span(_ count: Int) {
        let vectorEnd = count / width * width
        loop(to: vectorEnd, step: width) { j in
          let at = add(start, j)
          store(element(at, width), out, result.dtype, add(outBase, at))
        }
        loop(from: vectorEnd, to: count) { j in
          let at = add(start, j)
          store(element(at, 1), out, result.dtype, add(outBase, at))
        }
      }
      if chunks == 1 {
        span(length)
      } else {
        let last = length - (chunks - 1) * chunk
        ifThenElse(icmp(LLVMIntSLT, c, int64(chunks - 1)), { span(chunk) }, { span(last) })
      }
    }
    endKernel()
  }
}

/// Whether `from` broadcasts to `to` by the IR's rule (right-aligned, each axis equal or 1).
private func broadcastable(_ from: [Int], to: [Int]) -> Bool {
  from.count <= to.count
    && zip(from.reversed(), to.reversed()).allSatisfy { $0 == $1 || $0 == 1 }
}
