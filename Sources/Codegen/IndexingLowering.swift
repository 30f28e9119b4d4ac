import CLLVM
import IR

// Integer indexing (IR/Ops/Indexing.swift), as Runtime/Kernels/Indexing.swift: indices must
// lie in 0..<size (negative ones are out of range); the first bad index in row-major order
// stops the kernel with `FailureCode.indexOutOfRange`, its flat position and its value.

extension Emitter {
  /// Loads index `p` of an i32/i64 buffer as i64 and fails unless 0 ≤ index < size.
  func checkedIndex(_ ids: IRValue, _ d: DType, _ p: IRValue, size: Int) -> IRValue {
    let raw = load(ids, d, p)
    let id = d == .i64 ? raw : LLVMBuildSExt(builder, raw, i64, "")!
    // One unsigned compare catches negative and too-large indices.
    fail(
      if: icmp(LLVMIntUGE, id, int64(size)), code: FailureCode.indexOutOfRange.rawValue,
      position: p, value: id)
    return id
  }

  /// `gather(table [V, …], ids)`: row `ids[p]` of the table to row `p` of the result.
  func emitGather(_ name: String, table: TensorType, ids: TensorType) {
    let d = table.dtype
    let b = beginKernel(name, buffers: [d, ids.dtype, d])
    let rows = table.shape[0]
    let rowSize = table.shape.dropFirst().reduce(1, *)
    loop(to: ids.count) { p in
      let id = checkedIndex(b[1], ids.dtype, p, size: rows)
      let from = scaled(id, rowSize)
      let to = scaled(p, rowSize)
      loop(to: rowSize) { j in store(load(b[0], d, add(from, j)), b[2], d, add(to, j)) }
    }
    endKernel()
  }

  /// `scatter_add {rows}(updates, ids)`: all indices checked first, then zeros, then
  /// `y[ids[p]] += updates[p]` in position order (the interpreter's order).
  func emitScatterAdd(_ name: String, updates: TensorType, ids: TensorType, rows: Int) {
    let d = updates.dtype
    let b = beginKernel(name, buffers: [d, ids.dtype, d])
    let rowSize = updates.shape.dropFirst(ids.rank).reduce(1, *)
    loop(to: ids.count) { p in _ = checkedIndex(b[1], ids.dtype, p, size: rows) }
    let zero = constant(0, scalarType(d))
    loop(to: rows * rowSize) { i in store(zero, b[2], d, i) }
    loop(to: ids.count) { p in
      let raw = load(b[1], ids.dtype, p)
      let id = ids.dtype == .i64 ? raw : LLVMBuildSExt(builder, raw, i64, "")!
      let to = scaled(id, rowSize)
      let from = scaled(p, rowSize)
      loop(to: rowSize) { j in
        let sum = binaryValue(.add, load(b[2], d, add(to, j)), load(b[0], d, add(from, j)), d)
        store(sum, b[2], d, add(to, j))
      }
    }
    endKernel()
  }

  /// `take_along_axis {axis}(x, idx)`: y[…, i, …] = x[…, idx[…, i, …], …] along `axis`.
  func emitTakeAlongAxis(_ name: String, x: TensorType, indices: TensorType, axis: Int) {
    let d = x.dtype
    let b = beginKernel(name, buffers: [d, indices.dtype, d])
    let xStrides = contiguousStrides(x.shape)
    var base = xStrides
    base[axis] = 0
    nest(
      indices.shape, strides: [base, contiguousStrides(indices.shape)],
      bases: [int64(0), int64(0)]
    ) { at in
      let i = checkedIndex(b[1], indices.dtype, at[1], size: x.shape[axis])
      let source = add(at[0], scaled(i, xStrides[axis]))
      store(load(b[0], d, source), b[2], d, at[1])
    }
    endKernel()
  }
}
