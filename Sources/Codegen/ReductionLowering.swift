import CLLVM
import IR

// Reductions (IR/Ops/Reduction.swift) and normalizers (IR/Ops/Softmax.swift).
//
// Semantics follow Runtime/Kernels/Reduction.swift and Softmax.swift: float sums and means
// accumulate in f64 (f32 inputs are widened lane by lane), the mean divides the f64 sum by the
// count before rounding, integer sums wrap, float maxima propagate NaN. The accumulation order
// differs from the interpreter's sequential loop (several vector accumulators, combined at the
// end), so f64 sums agree to a few ulps and f32 sums almost always exactly.
//
// Vector strategies after merging axes (size-1 axes dropped, neighbours of the same kind
// joined): when the innermost axis is reduced ("rows"), each output keeps `accumulators`
// independent vector accumulators of the SIMD width over the contiguous row (hiding the add
// latency), then folds them; when the innermost axis is kept ("columns"), each vector of
// adjacent outputs accumulates over the reduced axes with plain vector loads.

/// Reduction kinds as accumulated: the op and whether the combine is float.
struct ReductionKind {
  var op: ReduceOp
  var dtype: DType
  /// f64 for float sums and means, the input type otherwise.
  var accumulator: DType { op != .max && dtype.isFloat ? .f64 : dtype }
}

extension Emitter {
  /// Independent vector accumulators per row in the row strategy.
  var accumulators: Int { 4 }

  /// The identity of the combine: 0 for sums (-0 in float vectors, so the first add folds
  /// away; the scalar tail starts at +0 so an all-(-0) sum is +0 as in the interpreter), -∞
  /// (floats) or the minimum (integers) for max.
  func reductionStart(_ k: ReductionKind, width: Int, foldable: Bool = true) -> IRValue {
    let t = vector(scalarType(k.accumulator), width)
    if k.op != .max {
      return constant(foldable && width > 1 && k.dtype.isFloat ? -0.0 : 0, t)
    }
    if k.dtype.isFloat { return constant(-.infinity, t) }
    return integer(k.dtype == .i32 ? Int64(Int32.min) : Int64.min, t)
  }

  /// `acc ⊕ x` (x already converted to the accumulator type); max keeps the first NaN.
  func reductionCombine(_ k: ReductionKind, _ acc: IRValue, _ x: IRValue) -> IRValue {
    switch (k.op, k.dtype.isFloat) {
    case (.max, true):
      let take = or(fcmp(LLVMRealOGT, x, acc), fcmp(LLVMRealUNO, x, x))
      return select(take, x, acc)
    case (.max, false): return select(icmp(LLVMIntSGT, x, acc), x, acc)
    case (_, true): return fadd(acc, x)
    case (_, false): return add(acc, x)
    }
  }

  /// Loads `width` input elements and widens them to the accumulator type.
  func reductionLoad(_ k: ReductionKind, _ src: IRValue, _ index: IRValue, width: Int) -> IRValue {
    let x = load(src, k.dtype, index, width: width)
    return k.accumulator == k.dtype ? x : convertFloat(x, to: f64)
  }

  /// Folds the lanes of an accumulator vector into a scalar: halves combined pairwise
  /// (log₂ width vector steps) while the width is even, then lane by lane.
  func horizontal(_ k: ReductionKind, _ v: IRValue) -> IRValue {
    var v = v
    var width = split(typeOf(v)).width
    while width > 2 && width % 2 == 0 {
      let half = width / 2
      func part(_ from: Int) -> IRValue {
        var lanes = (from..<(from + half)).map { LLVMConstInt(i32, UInt64($0), 0) as IRValue? }
        let mask = LLVMConstVector(&lanes, UInt32(half))
        return LLVMBuildShuffleVector(builder, v, LLVMGetUndef(typeOf(v)), mask, "")
      }
      v = reductionCombine(k, part(0), part(half))
      width = half
    }
    var acc = lane(v, 0)
    for i in 1..<max(width, 1) { acc = reductionCombine(k, acc, lane(v, i)) }
    return acc
  }

  /// Adds `length` contiguous elements at `base` into the accumulator slots: `vectors` slots
  /// (all of one SIMD width) and one scalar slot for the tail.
  func accumulateRow(
    _ k: ReductionKind, _ src: IRValue, base: IRValue, length: Int, vectors: [IRValue],
    scalar: IRValue, load: ((IRValue, Int) -> IRValue)? = nil
  ) {
    let read = load ?? { index, width in self.reductionLoad(k, src, index, width: width) }
    let width = split(LLVMGetAllocatedType(vectors[0])).width
    let block = width * vectors.count
    let blockEnd = length / block * block
    loop(to: blockEnd, step: block) { i in
      for (a, slot) in vectors.enumerated() {
        let x = read(add(base, offset(i, a * width)), width)
        write(slot, reductionCombine(k, self.read(slot), x))
      }
    }
    let vectorEnd = length / width * width
    loop(from: blockEnd, to: vectorEnd, step: width) { i in
      write(vectors[0], reductionCombine(k, self.read(vectors[0]), read(add(base, i), width)))
    }
    loop(from: vectorEnd, to: length) { i in
      write(scalar, reductionCombine(k, self.read(scalar), read(add(base, i), 1)))
    }
  }

  /// Combines the vector slots (pairwise), folds the lanes and adds the scalar tail.
  func finishRow(_ k: ReductionKind, vectors: [IRValue], scalar: IRValue) -> IRValue {
    var values = vectors.map { read($0) }
    while values.count > 1 {
      var next: [IRValue] = []
      for i in stride(from: 0, to: values.count, by: 2) {
        next.append(
          i + 1 < values.count ? reductionCombine(k, values[i], values[i + 1]) : values[i])
      }
      values = next
    }
    return reductionCombine(k, horizontal(k, values[0]), read(scalar))
  }

  /// The stored result from an accumulated value: mean divides by `count` in f64, float sums
  /// and means round to the input precision.
  func reductionResult(_ k: ReductionKind, _ acc: IRValue, count: Int) -> IRValue {
    var v = acc
    if k.op == .mean { v = fdiv(v, constant(Double(count), typeOf(v))) }
    if k.accumulator != k.dtype { v = convertFloat(v, to: scalarType(k.dtype)) }
    return v
  }

  /// Nested loops over `sizes` carrying one running offset per stride list.
  func nest(
    _ sizes: [Int], strides: [[Int]], bases: [IRValue], _ body: ([IRValue]) -> Void
  ) {
    guard let first = sizes.first else {
      body(bases)
      return
    }
    loop(to: first) { i in
      let next = bases.indices.map { add(bases[$0], scaled(i, strides[$0][0])) }
      nest(
        Array(sizes.dropFirst()), strides: strides.map { Array($0.dropFirst()) }, bases: next, body)
    }
  }

  /// `reduce_<op> {axes}` of an input of `shape` (axes normalized, nonempty input).
  func emitReduction(_ name: String, _ op: ReduceOp, input: TensorType, axes: [Int]) {
    let k = ReductionKind(op: op, dtype: input.dtype)
    let b = beginKernel(name, buffers: [input.dtype, input.dtype])
    let (src, out) = (b[0], b[1])
    let count = axes.reduce(1) { $0 * input.shape[$1] }
    // Merged groups: (size, reduced, input stride).
    let strides = contiguousStrides(input.shape)
    var groups: [(size: Int, reduced: Bool, stride: Int)] = []
    for i in input.shape.indices where input.shape[i] != 1 {
      let reduced = axes.contains(i)
      if let last = groups.last, last.reduced == reduced,
        last.stride == strides[i] * input.shape[i]
      {
        groups[groups.count - 1] = (last.size * input.shape[i], reduced, strides[i])
      } else {
        groups.append((input.shape[i], reduced, strides[i]))
      }
    }
    let kept = groups.filter { !$0.reduced }
    let keptOut = contiguousStrides(kept.map(\.size))
    let width = lanes(forBytes: input.dtype.byteSize)
    if groups.last?.reduced ?? true {
      // Rows: the innermost group is reduced and contiguous.
      let row = groups.last?.size ?? 1
      let outer = groups.dropLast().filter(\.reduced)
      // The first kept axis is split across threads.
      func keptNest(_ body: ([IRValue]) -> Void) {
        guard let first = kept.first else {
          body([int64(0), int64(0)])
          return
        }
        parallelLoop(extent: first.size, splittable: input.count >= Self.parallelThreshold) { i in
          nest(
            kept.dropFirst().map(\.size),
            strides: [kept.dropFirst().map(\.stride), Array(keptOut.dropFirst())],
            bases: [scaled(i, first.stride), scaled(i, keptOut[0])], body)
        }
      }
      keptNest { at in
        let vectors = (0..<(row >= width * 2 ? accumulators : 1)).map { _ in
          variable(reductionStart(k, width: width))
        }
        let scalar = variable(reductionStart(k, width: 1))
        nest(outer.map(\.size), strides: [outer.map(\.stride)], bases: [at[0]]) { inner in
          if groups.isEmpty {
            write(
              scalar, reductionCombine(k, read(scalar), reductionLoad(k, src, inner[0], width: 1)))
          } else {
            accumulateRow(k, src, base: inner[0], length: row, vectors: vectors, scalar: scalar)
          }
        }
        let total = finishRow(k, vectors: vectors, scalar: scalar)
        store(reductionResult(k, total, count: count), out, input.dtype, at[1])
      }
    } else {
      // Columns: the innermost group is kept; vectors of adjacent outputs.
      let columns = kept[kept.count - 1].size
      let outerKept = kept.dropLast()
      let reduced = groups.filter(\.reduced)
      nest(
        outerKept.map(\.size), strides: [outerKept.map(\.stride), Array(keptOut.dropLast())],
        bases: [int64(0), int64(0)]
      ) { at in
        let vectorEnd = columns / width * width
        func column(_ j: IRValue, _ w: Int) {
          // +0 start: each lane is a whole output, so an all-(-0) sum is +0 as in the interpreter.
          let acc = variable(reductionStart(k, width: w, foldable: false))
          nest(reduced.map(\.size), strides: [reduced.map(\.stride)], bases: [add(at[0], j)]) {
            r in
            write(acc, reductionCombine(k, read(acc), reductionLoad(k, src, r[0], width: w)))
          }
          store(reductionResult(k, read(acc), count: count), out, input.dtype, add(at[1], j))
        }
        loop(to: vectorEnd, step: width) { j in column(j, width) }
        loop(from: vectorEnd, to: columns) { j in column(j, 1) }
      }
    }
    endKernel()
  }

  /// Fills every output of a reduction over zero elements with its value for no input:
  /// 0 for sums, NaN for means (0/0, as the interpreter).
  func emitEmptyReduction(_ name: String, _ op: ReduceOp, result: TensorType) {
    let d = result.dtype
    let out = beginKernel(name, buffers: [d, d])[1]
    let value = constant(op == .mean ? .nan : 0, scalarType(d))
    loop(to: result.count) { i in store(value, out, d, i) }
    endKernel()
  }

  /// `softmax`/`log_softmax {axis}` in the stable form, one line at a time: m = max x
  /// (NaN-propagating), s = Σ e^{x-m} in f64 (e^{x-m} computed in the input precision),
  /// softmax = e^{x-m}/s (in f64, then rounded), log_softmax = (x - m) - ln s (ln s rounded).
  func emitSoftmax(_ name: String, _ type: TensorType, axis: Int, log: Bool) {
    let d = type.dtype
    let b = beginKernel(name, buffers: [d, d])
    let (src, out) = (b[0], b[1])
    let outer = type.shape[..<axis].reduce(1, *)
    let length = type.shape[axis]
    let inner = type.shape[(axis + 1)...].reduce(1, *)
    let element = scalarType(d)
    let maxKind = ReductionKind(op: .max, dtype: d)
    let sumKind = ReductionKind(op: .sum, dtype: d)
    let width = inner == 1 ? lanes(forBytes: d.byteSize) : 1
    let vectorCount = inner == 1 && length >= width * 2 ? accumulators : 1

    let large = type.count >= Self.parallelThreshold
    parallelLoop(extent: outer, splittable: large) { o in
      nest([inner], strides: [[1]], bases: [scaled(o, length * inner)]) { line in
        let start = line[0]
        // Element j of the line at start + j·inner, `w` lanes (w > 1 only when inner == 1).
        func at(_ j: IRValue) -> IRValue { add(start, scaled(j, inner)) }
        let maxVectors = (0..<vectorCount).map { _ in
          variable(reductionStart(maxKind, width: width))
        }
        let maxScalar = variable(reductionStart(maxKind, width: 1))
        accumulateRow(
          maxKind, src, base: int64(0), length: length, vectors: maxVectors, scalar: maxScalar,
          load: { j, w in self.load(src, d, at(j), width: w) })
        let m = finishRow(maxKind, vectors: maxVectors, scalar: maxScalar)
        let sumVectors = (0..<vectorCount).map { _ in
          variable(reductionStart(sumKind, width: width))
        }
        let sumScalar = variable(reductionStart(sumKind, width: 1))
        accumulateRow(
          sumKind, src, base: int64(0), length: length, vectors: sumVectors, scalar: sumScalar,
          load: { j, w in
            let shifted = self.fsub(self.load(src, d, at(j), width: w), self.broadcast(m, w))
            return self.convertFloat(self.exp(shifted), to: self.f64)
          })
        let s = finishRow(sumKind, vectors: sumVectors, scalar: sumScalar)
        let logS = convertFloat(intrinsic("llvm.log", s), to: element)
        func emitOutput(_ j: IRValue, _ w: Int) {
          let shifted = fsub(load(src, d, at(j), width: w), broadcast(m, w))
          let y: IRValue
          if log {
            y = fsub(shifted, broadcast(logS, w))
          } else {
            let e = convertFloat(exp(shifted), to: f64)
            y = convertFloat(fdiv(e, broadcast(s, w)), to: element)
          }
          store(y, out, d, at(j))
        }
        let vectorEnd = length / width * width
        loop(to: vectorEnd, step: width) { j in emitOutput(j, width) }
        loop(from: vectorEnd, to: length) { j in emitOutput(j, 1) }
      }
    }
    endKernel()
  }
}
