import IR
import Testing

func t(_ d: DType, _ s: [Int]) -> TensorType { TensorType(d, s) }

/// (op, operand types, declared type, expected result) for every op kind.
let goodRules: [(Op, [TensorType], TensorType?, TensorType)] = [
  (.unary(.exp), [t(.f32, [2, 3])], nil, t(.f32, [2, 3])),
  (.unary(.neg), [t(.i32, [4])], nil, t(.i32, [4])),
  (.unary(.abs), [t(.i64, [])], nil, t(.i64, [])),
  (.binary(.add), [t(.f64, [2]), t(.f64, [2])], nil, t(.f64, [2])),
  (.binary(.div), [t(.i32, [2]), t(.i32, [2])], nil, t(.i32, [2])),
  (.binary(.pow), [t(.f32, []), t(.f32, [])], nil, t(.f32, [])),
  (.compare(.greater), [t(.f32, [3]), t(.f32, [3])], nil, t(.i1, [3])),
  (.compare(.equal), [t(.i1, [3]), t(.i1, [3])], nil, t(.i1, [3])),
  (.select, [t(.i1, [2]), t(.f32, [2]), t(.f32, [2])], nil, t(.f32, [2])),
  (.cast, [t(.f32, [2, 2])], t(.i64, [2, 2]), t(.i64, [2, 2])),
  (.constant(Scalar(1)), [], t(.f32, [3]), t(.f32, [3])),
  (.iota(axis: -1), [], t(.i32, [2, 5]), t(.i32, [2, 5])),
  (.broadcast(shape: [4, 2, 3]), [t(.f32, [1, 3])], nil, t(.f32, [4, 2, 3])),
  (.broadcast(shape: [2, 3]), [t(.f32, [])], nil, t(.f32, [2, 3])),
  (.reshape(shape: [6]), [t(.f32, [2, 3])], nil, t(.f32, [6])),
  (.transpose(perm: [2, 0, 1]), [t(.f32, [2, 3, 4])], nil, t(.f32, [4, 2, 3])),
  (
    .slice(start: [1, 0], limit: [4, 3], stride: [2, 1]), [t(.f32, [5, 3])], nil, t(.f32, [2, 3])
  ),
  (.concat(axis: -1), [t(.f32, [2, 1]), t(.f32, [2, 3])], nil, t(.f32, [2, 4])),
  (.reduce(.sum, axes: [0, -1], keepDims: false), [t(.f32, [2, 3, 4])], nil, t(.f32, [3])),
  (.reduce(.max, axes: [1], keepDims: true), [t(.i32, [2, 3])], nil, t(.i32, [2, 1])),
  (.reduce(.mean, axes: [], keepDims: false), [t(.f64, [2])], nil, t(.f64, [2])),
  (.softmax(axis: -1), [t(.f32, [2, 7])], nil, t(.f32, [2, 7])),
  (.logSoftmax(axis: 0), [t(.f64, [3])], nil, t(.f64, [3])),
  (
    .matmul(transposeA: false, transposeB: false), [t(.f32, [5, 2, 3]), t(.f32, [5, 3, 4])], nil,
    t(.f32, [5, 2, 4])
  ),
  (
    .matmul(transposeA: true, transposeB: true), [t(.f32, [3, 2]), t(.f32, [4, 3])], nil,
    t(.f32, [2, 4])
  ),
  (.gather, [t(.f32, [10, 4]), t(.i64, [2, 3])], nil, t(.f32, [2, 3, 4])),
  (.takeAlongAxis(axis: 1), [t(.f32, [2, 5]), t(.i32, [2, 1])], nil, t(.f32, [2, 1])),
  (.allReduce(.mean, communicator: "world"), [t(.f32, [2, 5])], nil, t(.f32, [2, 5])),
  (.allReduce(.sum, communicator: "data"), [t(.f64, [])], nil, t(.f64, [])),
]

/// (op, operand types, declared type, substring of the reason).
let badRules: [(Op, [TensorType], TensorType?, String)] = [
  (.unary(.exp), [t(.i32, [2])], nil, "must be f32 or f64"),
  (.unary(.neg), [t(.i1, [2])], nil, "number type"),
  (.unary(.exp), [t(.f32, [2]), t(.f32, [2])], nil, "expects 1 operand, got 2"),
  (.binary(.add), [t(.f32, [2]), t(.f32, [3])], nil, "operand types differ"),
  (.binary(.add), [t(.f32, [2]), t(.f64, [2])], nil, "operand types differ"),
  (.binary(.mul), [t(.f32, [2])], nil, "expects 2 operands, got 1"),
  (.binary(.pow), [t(.i32, [2]), t(.i32, [2])], nil, "must be f32 or f64"),
  (.compare(.less), [t(.i1, [2]), t(.i1, [2])], nil, "number type"),
  (.select, [t(.f32, [2]), t(.f32, [2]), t(.f32, [2])], nil, "condition must be i1"),
  (.select, [t(.i1, [3]), t(.f32, [2]), t(.f32, [2])], nil, "condition shape"),
  (.cast, [t(.f32, [2])], nil, "needs a result type"),
  (.cast, [t(.f32, [2])], t(.f64, [3]), "keeps the shape"),
  (.constant(Scalar(0)), [t(.f32, [])], t(.f32, []), "expects 0 operands"),
  (.constant(Scalar(1.5)), [], t(.i32, [2]), "must be an integer"),
  (.constant(Scalar(3e9)), [], t(.i32, []), "in range"),
  (.constant(Scalar(2)), [], t(.i1, []), "must be 0 or 1"),
  (.iota(axis: 2), [], t(.f32, [2, 2]), "out of range"),
  (.iota(axis: 0), [], t(.i1, [2]), "number type"),
  (.broadcast(shape: [3]), [t(.f32, [2])], nil, "cannot broadcast"),
  (.broadcast(shape: [2]), [t(.f32, [1, 2])], nil, "lower rank"),
  (.reshape(shape: [4]), [t(.f32, [2, 3])], nil, "cannot reshape"),
  (.transpose(perm: [0, 0]), [t(.f32, [2, 3])], nil, "not a permutation"),
  (.slice(start: [0], limit: [4], stride: [1]), [t(.f32, [3])], nil, "outside"),
  (.slice(start: [0], limit: [2], stride: [0]), [t(.f32, [3])], nil, "stride"),
  (.slice(start: [0], limit: [2], stride: [1]), [t(.f32, [3, 2])], nil, "entries each"),
  (.concat(axis: 0), [t(.f32, [2, 2]), t(.f32, [2, 3])], nil, "differ outside axis"),
  (.concat(axis: 0), [t(.f32, [2]), t(.i32, [2])], nil, "dtype or rank"),
  (.concat(axis: 0), [], nil, "at least 1 operand"),
  (.reduce(.sum, axes: [3], keepDims: false), [t(.f32, [2])], nil, "out of range"),
  (.reduce(.sum, axes: [0, -2], keepDims: false), [t(.f32, [2, 2])], nil, "appears twice"),
  (.reduce(.mean, axes: [0], keepDims: false), [t(.i32, [2])], nil, "must be f32 or f64"),
  (.softmax(axis: 1), [t(.f32, [3])], nil, "out of range"),
  (.softmax(axis: 0), [t(.i64, [3])], nil, "must be f32 or f64"),
  (
    .matmul(transposeA: false, transposeB: false), [t(.f32, [2, 3]), t(.f32, [2, 3])], nil,
    "contracting dimensions differ"
  ),
  (
    .matmul(transposeA: false, transposeB: false), [t(.f32, [2, 2, 3]), t(.f32, [3, 3, 4])], nil,
    "batch dimensions differ"
  ),
  (
    .matmul(transposeA: false, transposeB: false), [t(.f32, [3]), t(.f32, [3, 4])], nil,
    "rank 2 or more"
  ),
  (
    .matmul(transposeA: false, transposeB: false), [t(.f32, [2, 3]), t(.f64, [3, 4])], nil,
    "dtypes differ"
  ),
  (
    .matmul(transposeA: false, transposeB: false), [t(.i32, [2, 3]), t(.i32, [3, 4])], nil,
    "must be f32 or f64"
  ),
  (.gather, [t(.f32, [4, 2]), t(.f32, [3])], nil, "ids must be i32 or i64"),
  (.gather, [t(.f32, []), t(.i32, [3])], nil, "rank 1 or more"),
  (.takeAlongAxis(axis: 0), [t(.f32, [2, 3]), t(.i32, [1, 2])], nil, "must match"),
  (.takeAlongAxis(axis: 0), [t(.f32, [2, 3]), t(.i32, [1])], nil, "ranks differ"),
  (.allReduce(.sum, communicator: "world"), [t(.i32, [2])], nil, "must be f32 or f64"),
  (.allReduce(.sum, communicator: ""), [t(.f32, [2])], nil, "communicator name is empty"),
  (.allReduce(.sum, communicator: "world"), [t(.f32, [2]), t(.f32, [2])], nil, "expects 1 operand"),
]

@Test func typeRulesAcceptWellTypedOperands() throws {
  for (op, operands, declared, expected) in goodRules {
    let result = try op.resultType(operands: operands, annotated: declared)
    #expect(result == expected, "\(op.name) \(operands)")
  }
}

@Test func typeRulesRejectIllTypedOperands() {
  for (op, operands, declared, reason) in badRules {
    do {
      let result = try op.resultType(operands: operands, annotated: declared)
      Issue.record("\(op.name) \(operands) should fail with '\(reason)' but gave \(result)")
    } catch {
      #expect(error.reason.contains(reason), "\(op.name): '\(error.reason)' lacks '\(reason)'")
    }
  }
}

@Test func everyOpKindHasTypeRuleTests() {
  let covered = Set(goodRules.map(\.0.name)).union(badRules.map(\.0.name))
  let families = [
    "exp", "neg", "add", "greater", "select", "cast", "constant", "iota", "broadcast",
    "reshape", "transpose", "slice", "concat", "reduce_sum", "reduce_max", "reduce_mean",
    "softmax", "log_softmax", "matmul", "gather", "take_along_axis", "all_reduce",
  ]
  for name in families { #expect(covered.contains(name), "no type-rule test for \(name)") }
}

@Test func builderBroadcastsNumpyStyle() throws {
  let b = GraphBuilder(name: "bcast")
  let x = b.parameter("x", t(.f32, [4, 1, 3]))
  let y = b.parameter("y", t(.f32, [2, 1]))
  let s = b.add(x, y)
  #expect(b.shape(s) == [4, 2, 3])
  let g = try b.build(results: [("s", s)])
  #expect(g.nodes.map(\.op.name) == ["broadcast", "broadcast", "add"])
  // Batched matmul broadcasts the lower-rank operand's batch dims.
  let m = GraphBuilder(name: "mm")
  let a = m.parameter("a", t(.f32, [5, 2, 3]))
  let w = m.parameter("w", t(.f32, [3, 4]))
  let p = m.matmul(a, w)
  #expect(m.shape(p) == [5, 2, 4])
}

@Test func builderDiagnosticNamesOpOperandsAndCallerLine() {
  let b = GraphBuilder(name: "bad")
  let x = b.parameter("x", t(.f32, [2, 3]))
  let w = b.parameter("w", t(.f32, [2, 3]))
  let line = #line + 1
  let y = b.matmul(x, w)
  let z = b.exp(y)  // poisoned operand: no second diagnostic
  do {
    _ = try b.build(results: [("z", z)])
    Issue.record("build should fail")
  } catch {
    #expect(error.all.count == 1)
    let text = error.description
    #expect(text.contains("TypeRuleTests.swift:\(line)"), "\(text)")
    #expect(text.contains("'matmul'"))
    #expect(text.contains("%x: f32[2,3]") && text.contains("%w: f32[2,3]"))
    #expect(text.contains("contracting dimensions differ"))
  }
}

@Test func builderRejectsIncompatibleBroadcast() {
  let b = GraphBuilder(name: "bad")
  let x = b.parameter("x", t(.f32, [2, 3]))
  let y = b.parameter("y", t(.f32, [4]))
  let s = b.add(x, y)
  #expect(throws: Diagnostics.self) { try b.build(results: [("s", s)]) }
  #expect(b.diagnostics.first?.message.contains("do not broadcast") == true)
}

@Test func verifierCatchesBrokenGraphs() throws {
  let b = GraphBuilder(name: "g")
  let x = b.parameter("x", t(.f32, [2]))
  let y = b.exp(x)
  var g = try b.build(results: [("y", y)])
  // Wrong type annotation.
  var wrongType = g
  wrongType.nodes[0].type = t(.f32, [3])
  #expect(throws: Diagnostics.self) { try verify(wrongType) }
  // Use before definition.
  var outOfOrder = g
  let z = outOfOrder.makeValue()
  outOfOrder.nodes.insert(
    Node(result: z, name: "z", op: .unary(.neg), operands: [y], type: t(.f32, [2])), at: 0)
  do {
    try verify(outOfOrder)
    Issue.record("expected an error")
  } catch {
    #expect(error.description.contains("used before it is defined"))
  }
  // Duplicate names.
  g.nodes[0].name = "x"
  do {
    try verify(g)
    Issue.record("expected an error")
  } catch {
    #expect(error.description.contains("defined twice"))
  }
}
