import CLLVM
import IR

// Creation and shape ops (IR/Ops/Creation.swift, IR/Ops/Shape.swift). Every shape op except
// reshape is one strided copy: nested loops over the result, each element read at
// `offset + Σ index·stride` of the operand (broadcast: stride 0 on expanded axes; transpose:
// permuted strides; slice: scaled strides plus an offset; concat: one copy per operand into its
// block of the result). Axes of size 1 are dropped and adjacent axes that stay contiguous in
// both buffers are merged, so the innermost loop is as long as possible; LLVM's loop
// vectorizer turns contiguous and splat inner loops into vector code. Reshape is a view.

extension Emitter {
  /// Copies a `shape`-shaped block: `dst[dstOffset + i·dstStrides] = src[srcOffset + i·srcStrides]`.
  func stridedCopy(
    from src: IRValue, to dst: IRValue, _ d: DType, shape: [Int], srcStrides: [Int],
    srcOffset: Int = 0, dstStrides: [Int], dstOffset: Int = 0, parallel: Bool = false
  ) {
    if shape.contains(0) { return }
    // Drop size-1 axes, then merge neighbours that are contiguous in both buffers.
    var dims: [(size: Int, src: Int, dst: Int)] = []
    for i in shape.indices where shape[i] != 1 {
      let next = (shape[i], srcStrides[i], dstStrides[i])
      if let last = dims.last, last.src == next.1 * next.0, last.dst == next.2 * next.0 {
        dims[dims.count - 1] = (last.size * next.0, next.1, next.2)
      } else {
        dims.append(next)
      }
    }
    func level(_ k: Int, _ s: IRValue, _ t: IRValue) {
      if k == dims.count {
        store(load(src, d, s), dst, d, t)
        return
      }
      func next(_ i: IRValue) {
        level(k + 1, add(s, scaled(i, dims[k].src)), add(t, scaled(i, dims[k].dst)))
      }
      if k == 0 && parallel {
        let large = shape.reduce(1, *) >= Self.parallelThreshold
        parallelLoop(extent: dims[0].size, splittable: large, next)
      } else {
        loop(to: dims[k].size, next)
      }
    }
    level(0, int64(srcOffset), int64(dstOffset))
  }

  /// `constant {value}`: every element is `value` (already converted to the dtype).
  func emitConstant(_ name: String, value: Double, _ type: TensorType) {
    let out = beginKernel(name, buffers: [type.dtype])[0]
    let element = scalarType(type.dtype)
    let scalar: IRValue =
      type.dtype == .i1 ? LLVMConstInt(i1, value != 0 ? 1 : 0, 0) : constant(value, element)
    loop(to: type.count) { i in store(scalar, out, type.dtype, i) }
    endKernel()
  }

  /// `iota {axis}`: the element at (…, j, …) is j, converted to the dtype.
  func emitIota(_ name: String, axis: Int, _ type: TensorType) {
    let out = beginKernel(name, buffers: [type.dtype])[0]
    let outer = type.shape[..<axis].reduce(1, *)
    let length = type.shape[axis]
    let inner = type.shape[(axis + 1)...].reduce(1, *)
    let element = scalarType(type.dtype)
    loop(to: outer) { o in
      loop(to: length) { j in
        let value: IRValue =
          type.dtype.isFloat
          ? LLVMBuildSIToFP(builder, j, element, "")
          : (type.dtype == .i32 ? LLVMBuildTrunc(builder, j, element, "") : j)
        let base = add(scaled(o, length * inner), scaled(j, inner))
        loop(to: inner) { i in store(value, out, type.dtype, add(base, i)) }
      }
    }
    endKernel()
  }

  /// `broadcast`, `transpose` and `slice`: one strided copy.
  func emitStridedCopyKernel(
    _ name: String, _ d: DType, shape: [Int], srcStrides: [Int], srcOffset: Int
  ) {
    let b = beginKernel(name, buffers: [d, d])
    stridedCopy(
      from: b[0], to: b[1], d, shape: shape, srcStrides: srcStrides, srcOffset: srcOffset,
      dstStrides: contiguousStrides(shape), parallel: true)
    endKernel()
  }

  /// `concat {axis}`: each operand copied into its block of the result.
  func emitConcat(_ name: String, _ operands: [TensorType], axis: Int, result: TensorType) {
    let d = result.dtype
    let b = beginKernel(name, buffers: operands.map(\.dtype) + [d])
    let out = b[operands.count]
    let outStrides = contiguousStrides(result.shape)
    var position = 0
    for (k, t) in operands.enumerated() {
      stridedCopy(
        from: b[k], to: out, d, shape: t.shape, srcStrides: contiguousStrides(t.shape),
        dstStrides: outStrides, dstOffset: position * outStrides[axis])
      position += t.shape[axis]
    }
    endKernel()
  }
}

/// Source strides and offset that read `broadcast {shape}` from an operand of `from` shape.
func broadcastStrides(from: [Int], to shape: [Int]) -> [Int] {
  let source = contiguousStrides(from)
  let offset = shape.count - from.count
  return shape.indices.map { i in
    i < offset || from[i - offset] != shape[i] ? 0 : source[i - offset]
  }
}
