import CLLVM
import IR
import Passes

// Fused regions (Passes/Fusion.swift): one kernel per `fused` node. The body's elementwise
// ops are evaluated in registers once per element, in body order, so a value with several
// uses is computed once; each input is read once per element, through its broadcast: an
// input of another shape is read with stride 0 on its broadcast axes (a splat when the
// innermost axis is broadcast). The loop nest runs over the result's axes after dropping
// size-1 axes and merging neighbours that are contiguous for every input; the innermost
// axis is cut into chunks, and (row, chunk) tiles are what threads share.

extension Emitter {
  /// The kernel of a fused region computing `result` from the body's parameters.
  func emitRegion(_ name: String, _ body: Graph, result: TensorType, node: Node)
    throws(CompileError)
  {
    let shape = result.shape
    let types = body.valueTypes()
    let parameterIndex = Dictionary(
      body.parameters.enumerated().map { ($1.value, $0) }, uniquingKeysWith: { a, _ in a })
    var constants: Set<Value> = []
    for n in body.nodes {
      let operands = n.operands.compactMap { types[$0] }
      switch n.op {
      case .constant:
        constants.insert(n.result)
        continue
      case .broadcast:
        let source = n.operands[0]
        guard parameterIndex[source] != nil || constants.contains(source)
          || types[source]?.shape == shape
        else {
          throw CompileError("fused body: broadcast of a computed value of another shape", node: node)
        }
      default:
        guard ElementwiseFusion.fusable(n, operands: operands) else {
          throw CompileError("fused body: op '\(n.op.name)' cannot be fused", node: node)
        }
      }
      guard n.type.shape == shape else {
        throw CompileError("fused body: %\(n.name) is \(n.type), not of shape \(shape)", node: node)
      }
    }
    guard body.results.count == 1, let root = body.results.first?.value else {
      throw CompileError("fused body: needs exactly one result", node: node)
    }

    // Strides of every input over the result's axes, then merged axes.
    let inputStrides = body.parameters.map { p in
      p.type.shape == shape
        ? contiguousStrides(shape) : broadcastStrides(from: p.type.shape, to: shape)
    }
    var dims: [(size: Int, strides: [Int])] = []
    for d in shape.indices where shape[d] != 1 {
      let s = inputStrides.map { $0[d] }
      if let last = dims.last, zip(last.strides, s).allSatisfy({ $0 == $1 * shape[d] }) {
        dims[dims.count - 1] = (last.size * shape[d], s)
      } else {
        dims.append((shape[d], s))
      }
    }
    if dims.isEmpty { dims = [(1, inputStrides.map { _ in 0 })] }
    let producer = Dictionary(body.nodes.map { ($0.result, $0) }, uniquingKeysWith: { a, _ in a })
    var uses: [Value: Int] = [:]
    for n in body.nodes {
      for o in n.operands { uses[o, default: 0] += 1 }
    }
    let inner = dims[dims.count - 1]
    let outer = Array(dims.dropLast())
    let outerStrides = contiguousStrides(dims.map(\.size))

    let inputTypes = body.parameters.map(\.type.dtype)
    var widest = result.dtype.byteSize
    for d in inputTypes { widest = max(widest, d.byteSize) }
    for n in body.nodes { widest = max(widest, n.type.dtype.byteSize) }
    let vectorizable = inner.strides.allSatisfy { $0 == 0 || $0 == 1 }
    let width = vectorizable ? lanes(forBytes: widest) : 1

    let buffers = beginKernel(name, buffers: inputTypes + [result.dtype])
    let out = buffers[inputTypes.count]
    let length = inner.size
    let chunk = length <= Self.flatChunk ? length : Self.flatChunk
    let chunks = (length + chunk - 1) / chunk
    let tiles = outer.reduce(1) { $0 * $1.size } * chunks

    parallelLoop(extent: tiles, splittable: result.count >= Self.parallelThreshold) { t in
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

      func element(_ j: IRValue, _ w: Int) {
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
          guard uses[v] == 1, v != root, let p = producer[v], case .binary(.mul) = p.op,
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
        store(value(root), out, result.dtype, add(outBase, j))
      }
      func span(_ count: Int) {
        let vectorEnd = count / width * width
        loop(to: vectorEnd, step: width) { j in element(add(start, j), width) }
        loop(from: vectorEnd, to: count) { j in element(add(start, j), 1) }
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
