import IR

// Normalizer kernels (IR/Ops/Softmax.swift), in the stable form along one axis:
//   m = max x,  s = Σ e^(x - m)  (accumulated in f64),
//   softmax = e^(x - m) / s,  log_softmax = x - m - ln s.
// A line whose max is ±∞ or NaN gives NaN, as the formula does. Lines are independent and run
// in parallel for large tensors.

func softmaxKernel(_ x: HostTensor, axis: Int, log: Bool) throws(KernelError) -> HostTensor {
  let a = try normalized(axis, rank: x.type.rank)
  let split = AxisSplit(shape: x.shape, axis: a)
  let storage: TensorStorage
  switch x.storage {
  case .f32(let v): storage = .f32(softmaxLines(v, split, log: log))
  case .f64(let v): storage = .f64(softmaxLines(v, split, log: log))
  default: throw KernelError("\(log ? "log_softmax" : "softmax") needs a float type, got \(x.type)")
  }
  return HostTensor(unchecked: x.type, storage)
}

func softmaxLines<T: FloatElement>(_ x: [T], _ split: AxisSplit, log: Bool) -> [T] {
  let (length, inner) = (split.length, split.inner)
  let lines = split.outer * inner
  return [T](unsafeUninitializedCapacity: x.count) { buffer, initialized in
    if let base = buffer.baseAddress {
      let out = SharedBuffer(base: base)
      let threshold = Swift.max(1, Parallelism.elementThreshold / Swift.max(length, 1))
      forEachChunk(count: lines, threshold: threshold) { range in
        for line in range {
          let start = (line / inner) * length * inner + line % inner
          var m = -T.infinity
          for j in 0..<length {
            let e = x[start + j * inner]
            if e > m || e.isNaN { m = e }
            if m.isNaN { break }
          }
          var s = 0.0
          for j in 0..<length { s += Double(T.exp(x[start + j * inner] - m)) }
          let logS = T(Double.log(s))
          for j in 0..<length {
            let i = start + j * inner
            let shifted = x[i] - m
            (out.base + i).initialize(to: log ? shifted - logS : T(Double(T.exp(shifted)) / s))
          }
        }
      }
    }
    initialized = x.count
  }
}
