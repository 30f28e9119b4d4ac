import CLLVM
import IR

/// The kernels of one compilation by body text, and the symbols that resolve to another's.
final class KernelTable {
  private var bodies: [String: String] = [:]
  /// Symbol → the symbol of the identical kernel that was kept.
  private(set) var aliases: [String: String] = [:]

  /// The symbol of an earlier kernel with this body, or nil (then `symbol` is recorded).
  func first(withBody text: String, symbol: String) -> String? {
    if let s = bodies[text] { return s }
    bodies[text] = symbol
    return nil
  }

  func alias(_ symbol: String, to kept: String) { aliases[symbol] = kept }
}

/// An LLVM value (`LLVMValueRef`) while emitting.
typealias IRValue = LLVMValueRef
/// An LLVM type (`LLVMTypeRef`) while emitting.
typealias IRType = LLVMTypeRef

/// Emits kernel functions into one module: types, constants, loops, loads and stores, status
/// reporting and intrinsic calls.
///
/// Every kernel has the signature `i32 @name(i8** %args, i64* %status, i64 %begin, i64 %end)`:
/// `args` holds one pointer per buffer (operands first, then the result), the return value is
/// 0 on success or a nonzero failure code, and on failure `status[0]` is the flat position of
/// the offending element and `status[1]` its value (an integer, or the bits of an f64). A
/// kernel with a parallel extent P (`kernelExtent`) does the iterations `begin..<end` of its
/// outer loop over `0..<P`, so threads can share it; other kernels ignore the range (P = 1).
final class Emitter {
  let owner: ModuleOwner
  let context: LLVMContextRef
  let module: LLVMModuleRef
  let builder: LLVMBuilderRef
  /// Bytes of one host SIMD register.
  let simdBytes: Int

  let i1: IRType
  let i8: IRType
  let i16: IRType
  let i32: IRType
  let i64: IRType
  let f32: IRType
  let f64: IRType

  /// The kernel being emitted, its allocation block and its status pointer.
  private(set) var function: IRValue?
  private var allocaBlock: LLVMBasicBlockRef?
  private var bodyBlock: LLVMBasicBlockRef?
  private(set) var status: IRValue?
  private var kernelName = ""
  private var kernelBuffers: [DType] = []
  /// Buffer count of every kernel emitted so far, by symbol (checked against the steps).
  private(set) var kernelArity: [String: Int] = [:]
  /// Iterations of the outer loop a kernel splits across threads, by symbol (absent: 1).
  private(set) var kernelExtent: [String: Int] = [:]
  /// The current kernel's share `begin..<end` of its parallel extent.
  private var rangeBegin: IRValue?
  private var rangeEnd: IRValue?

  /// Kernels already emitted, by body text (shared by the emitters of one compilation).
  let kernels: KernelTable

  init(owner: ModuleOwner, simdBytes: Int, kernels: KernelTable = KernelTable()) {
    self.kernels = kernels
    self.owner = owner
    context = owner.context
    module = owner.module
    builder = LLVMCreateBuilderInContext(owner.context)
    self.simdBytes = simdBytes
    i1 = LLVMInt1TypeInContext(context)
    i8 = LLVMInt8TypeInContext(context)
    i16 = LLVMInt16TypeInContext(context)
    i32 = LLVMInt32TypeInContext(context)
    i64 = LLVMInt64TypeInContext(context)
    f32 = LLVMFloatTypeInContext(context)
    f64 = LLVMDoubleTypeInContext(context)
  }

  deinit { LLVMDisposeBuilder(builder) }

  // MARK: - Types

  /// The type of one element in memory (i1 is stored as a byte).
  func storageType(_ d: DType) -> IRType {
    switch d {
    case .f32: f32
    case .f64: f64
    case .i32: i32
    case .i64: i64
    case .i1: i8
    }
  }

  /// The type of one element in registers (i1 as `i1`).
  func scalarType(_ d: DType) -> IRType { d == .i1 ? i1 : storageType(d) }

  /// `t` itself for width 1, else `<width x t>`.
  func vector(_ t: IRType, _ width: Int) -> IRType {
    width == 1 ? t : LLVMVectorType(t, UInt32(width))
  }

  func pointer(to t: IRType) -> IRType { LLVMPointerType(t, 0) }

  /// Elements of `widest` bytes that fill one SIMD register.
  func lanes(forBytes widest: Int) -> Int { max(1, simdBytes / max(1, widest)) }

  /// The element type of a scalar or vector type, and its lane count (1 for scalars).
  func split(_ t: IRType) -> (element: IRType, width: Int) {
    if LLVMGetTypeKind(t) == LLVMVectorTypeKind {
      return (LLVMGetElementType(t), Int(LLVMGetVectorSize(t)))
    }
    return (t, 1)
  }

  func typeOf(_ v: IRValue) -> IRType { LLVMTypeOf(v) }

  func isFloat(_ t: IRType) -> Bool {
    let kind = LLVMGetTypeKind(split(t).element)
    return kind == LLVMFloatTypeKind || kind == LLVMDoubleTypeKind
  }

  // MARK: - Constants

  /// `value` as a constant of `type` (float, integer or a vector splat of either); integers
  /// take the value truncated toward zero (callers check the range).
  func constant(_ value: Double, _ type: IRType) -> IRValue {
    let (element, width) = split(type)
    let scalar: IRValue
    switch LLVMGetTypeKind(element) {
    case LLVMFloatTypeKind, LLVMDoubleTypeKind: scalar = LLVMConstReal(element, value)
    default:
      let bits = Int64(exactly: value.rounded(.towardZero)) ?? 0
      scalar = LLVMConstInt(element, UInt64(bitPattern: bits), 1)
    }
    return splat(scalar, width)
  }

  /// An integer constant of `type` (scalar or vector) with the given bits.
  func integer(_ value: Int64, _ type: IRType) -> IRValue {
    let (element, width) = split(type)
    return splat(LLVMConstInt(element, UInt64(bitPattern: value), 1), width)
  }

  func int64(_ value: Int) -> IRValue { LLVMConstInt(i64, UInt64(bitPattern: Int64(value)), 1) }

  private func splat(_ scalar: IRValue, _ width: Int) -> IRValue {
    if width == 1 { return scalar }
    var items = [IRValue?](repeating: scalar, count: width)
    return LLVMConstVector(&items, UInt32(width))
  }

  /// Broadcasts a (possibly non-constant) scalar to `width` lanes.
  func broadcast(_ scalar: IRValue, _ width: Int) -> IRValue {
    if width == 1 { return scalar }
    let t = vector(typeOf(scalar), width)
    let one = LLVMBuildInsertElement(builder, LLVMGetUndef(t), scalar, int64(0) as IRValue?, "")
    var zeros = [IRValue?](repeating: LLVMConstInt(i32, 0, 0), count: width)
    let mask = LLVMConstVector(&zeros, UInt32(width))
    return LLVMBuildShuffleVector(builder, one, LLVMGetUndef(t), mask, "")
  }

  // MARK: - Kernels

  /// Starts a kernel over buffers of the given dtypes (operands, then the result) and returns
  /// their typed pointers.
  ///
  /// The body is an internal `alwaysinline` function whose buffer parameters are `noalias`
  /// (the memory plan never lets a result overlap an operand); `endKernel` adds the entry
  /// point `i32 @name(i8** args, i64* status)` that loads the pointers and calls it.
  func beginKernel(_ name: String, buffers: [DType]) -> [IRValue] {
    var params: [IRType?] =
      buffers.map { pointer(to: storageType($0)) } + [pointer(to: i64), i64, i64]
    let type = LLVMFunctionType(i32, &params, UInt32(params.count), 0)
    let f = LLVMAddFunction(module, name + ".body", type)!
    LLVMSetLinkage(f, LLVMInternalLinkage)
    addAttribute(f, "alwaysinline", at: UInt32(bitPattern: Int32(LLVMAttributeFunctionIndex)))
    for i in buffers.indices { addAttribute(f, "noalias", at: UInt32(i + 1)) }
    function = f
    kernelName = name
    kernelBuffers = buffers
    kernelArity[name] = buffers.count
    allocaBlock = LLVMAppendBasicBlockInContext(context, f, "entry")
    bodyBlock = LLVMAppendBasicBlockInContext(context, f, "body")
    LLVMPositionBuilderAtEnd(builder, bodyBlock)
    status = LLVMGetParam(f, UInt32(buffers.count))
    rangeBegin = LLVMGetParam(f, UInt32(buffers.count + 1))
    rangeEnd = LLVMGetParam(f, UInt32(buffers.count + 2))
    return buffers.indices.map { LLVMGetParam(f, UInt32($0))! }
  }

  /// Returns 0 from the kernel body and emits its entry point.
  func endKernel() {
    LLVMBuildRet(builder, LLVMConstInt(i32, 0, 0))
    LLVMPositionBuilderAtEnd(builder, allocaBlock)
    LLVMBuildBr(builder, bodyBlock)
    guard let body = function else { return }
    let bytePointer = pointer(to: i8)
    var params: [IRType?] = [pointer(to: bytePointer), pointer(to: i64), i64, i64]
    let type = LLVMFunctionType(i32, &params, 4, 0)
    let entry = LLVMAddFunction(module, kernelName, type)!
    LLVMSetLinkage(entry, LLVMExternalLinkage)
    LLVMPositionBuilderAtEnd(builder, LLVMAppendBasicBlockInContext(context, entry, "entry"))
    let args = LLVMGetParam(entry, 0)
    var arguments: [IRValue?] = []
    for (i, d) in kernelBuffers.enumerated() {
      var index: [IRValue?] = [int64(i)]
      let slot = LLVMBuildInBoundsGEP2(builder, bytePointer, args, &index, 1, "")
      let raw = LLVMBuildLoad2(builder, bytePointer, slot, "")
      LLVMSetAlignment(raw, 8)
      arguments.append(LLVMBuildBitCast(builder, raw, pointer(to: storageType(d)), "buf\(i)"))
    }
    arguments += [LLVMGetParam(entry, 1), LLVMGetParam(entry, 2), LLVMGetParam(entry, 3)]
    let call = LLVMBuildCall2(
      builder, LLVMGlobalGetValueType(body), body, &arguments, UInt32(arguments.count), "")
    LLVMBuildRet(builder, call)
    function = nil
    // A kernel whose body is identical to an earlier one (the same op on the same shapes in
    // another layer) is dropped and its symbol resolves to the earlier kernel.
    guard let printed = LLVMPrintValueToString(body) else { return }
    let text = String(cString: printed).replacingOccurrences(
      of: "@\(kernelName).body(", with: "@K(")
    LLVMDisposeMessage(printed)
    if let existing = kernels.first(withBody: text, symbol: kernelName) {
      LLVMDeleteFunction(entry)
      LLVMDeleteFunction(body)
      kernels.alias(kernelName, to: existing)
    }
  }

  private func addAttribute(_ f: IRValue, _ name: String, at index: UInt32) {
    let kind = LLVMGetEnumAttributeKindForName(name, name.utf8.count)
    LLVMAddAttributeAtIndex(f, index, LLVMCreateEnumAttribute(context, kind, 0))
  }

  /// A new block in the current kernel.
  func block(_ name: String) -> LLVMBasicBlockRef {
    LLVMAppendBasicBlockInContext(context, function, name)
  }

  /// A stack slot in the entry block (promoted to registers by mem2reg), set to `initial`.
  func variable(_ initial: IRValue) -> IRValue {
    let current = LLVMGetInsertBlock(builder)
    LLVMPositionBuilderAtEnd(builder, allocaBlock)
    let slot = LLVMBuildAlloca(builder, typeOf(initial), "")!
    LLVMPositionBuilderAtEnd(builder, current)
    LLVMBuildStore(builder, initial, slot)
    return slot
  }

  func read(_ slot: IRValue) -> IRValue {
    LLVMBuildLoad2(builder, LLVMGetAllocatedType(slot), slot, "")
  }

  func write(_ slot: IRValue, _ value: IRValue) { LLVMBuildStore(builder, value, slot) }

  /// `for i in stride(from: start, to: end, by: step) { body(i) }` with an i64 counter; nothing
  /// is emitted for an empty range.
  func loop(from start: Int = 0, to end: Int, step: Int = 1, _ body: (IRValue) -> Void) {
    guard start < end else { return }
    if start + step >= end {
      body(int64(start))
      return
    }
    let preheader = LLVMGetInsertBlock(builder)
    let header = block("loop")
    let exit = block("after")
    LLVMBuildBr(builder, header)
    LLVMPositionBuilderAtEnd(builder, header)
    let i = LLVMBuildPhi(builder, i64, "i")!
    body(i)
    let next = LLVMBuildAdd(builder, i, int64(step), "")
    let latch = LLVMGetInsertBlock(builder)
    let more = LLVMBuildICmp(builder, LLVMIntSLT, next, int64(end), "")
    LLVMBuildCondBr(builder, more, header, exit)
    var values: [IRValue?] = [int64(start), next]
    var blocks: [LLVMBasicBlockRef?] = [preheader, latch]
    LLVMAddIncoming(i, &values, &blocks, 2)
    LLVMPositionBuilderAtEnd(builder, exit)
  }

  /// `for i in start..<end { body(i) }` over run-time i64 bounds (nothing when empty).
  func loop(from start: IRValue, to end: IRValue, _ body: (IRValue) -> Void) {
    let preheader = LLVMGetInsertBlock(builder)
    let header = block("loop")
    let exit = block("after")
    LLVMBuildCondBr(builder, icmp(LLVMIntSLT, start, end), header, exit)
    LLVMPositionBuilderAtEnd(builder, header)
    let i = LLVMBuildPhi(builder, i64, "i")!
    body(i)
    let next: IRValue = add(i, int64(1))
    let latch = LLVMGetInsertBlock(builder)
    LLVMBuildCondBr(builder, icmp(LLVMIntSLT, next, end), header, exit)
    var values: [IRValue?] = [start, next]
    var blocks: [LLVMBasicBlockRef?] = [preheader, latch]
    LLVMAddIncoming(i, &values, &blocks, 2)
    LLVMPositionBuilderAtEnd(builder, exit)
  }

  /// The kernel's outer loop over `0..<extent`, of which each call does its share
  /// `begin..<end`; `splittable: false` (small kernels) keeps the extent at 1 for the runtime,
  /// which then runs the whole loop in one call. At most one per kernel.
  func parallelLoop(extent: Int, splittable: Bool = true, _ body: (IRValue) -> Void) {
    guard extent > 0 else { return }
    guard splittable, extent > 1, let begin = rangeBegin, let end = rangeEnd else {
      loop(to: extent, body)
      return
    }
    kernelExtent[kernelName] = extent
    loop(from: begin, to: end, body)
  }

  /// Elements of flat kernels below which threads are not worth waking.
  static let parallelThreshold = 1 << 16
  /// Elements per task of a split flat kernel (a multiple of every vector width).
  static let flatChunk = 1 << 13

  /// A flat loop over `count` elements: `body(i, w)` handles `w` elements at `i` (vectors of
  /// `width`, then a scalar tail), in chunks that threads share when the kernel is large.
  func flatLoop(count: Int, width: Int, _ body: (IRValue, Int) -> Void) {
    let chunk = Self.flatChunk
    guard count >= Self.parallelThreshold, chunk % width == 0 else {
      let vectorEnd = count / width * width
      loop(to: vectorEnd, step: width) { i in body(i, width) }
      loop(from: vectorEnd, to: count) { i in body(i, 1) }
      return
    }
    let full = count / chunk
    let rest = count - full * chunk
    parallelLoop(extent: full + (rest > 0 ? 1 : 0)) { c in
      let start = scaled(c, chunk)
      func whole() { loop(to: chunk, step: width) { j in body(add(start, j), width) } }
      guard rest > 0 else {
        whole()
        return
      }
      ifThenElse(icmp(LLVMIntSLT, c, int64(full)), whole) {
        let vectorEnd = full * chunk + rest / width * width
        loop(from: full * chunk, to: vectorEnd, step: width) { i in body(i, width) }
        loop(from: vectorEnd, to: count) { i in body(i, 1) }
      }
    }
  }

  /// Runs `then` when `condition` holds, else `otherwise`.
  func ifThenElse(_ condition: IRValue, _ then: () -> Void, _ otherwise: () -> Void) {
    let yes = block("then")
    let no = block("else")
    let rest = block("endif")
    LLVMBuildCondBr(builder, condition, yes, no)
    LLVMPositionBuilderAtEnd(builder, yes)
    then()
    LLVMBuildBr(builder, rest)
    LLVMPositionBuilderAtEnd(builder, no)
    otherwise()
    LLVMBuildBr(builder, rest)
    LLVMPositionBuilderAtEnd(builder, rest)
  }

  /// Runs `body` only when `condition` holds.
  func ifThen(_ condition: IRValue, _ body: () -> Void) {
    let then = block("then")
    let rest = block("endif")
    LLVMBuildCondBr(builder, condition, then, rest)
    LLVMPositionBuilderAtEnd(builder, then)
    body()
    LLVMBuildBr(builder, rest)
    LLVMPositionBuilderAtEnd(builder, rest)
  }

  /// When `condition` holds: records `position` and `value` (i64) in the status and returns
  /// `code` from the kernel.
  func fail(if condition: IRValue, code: Int32, position: IRValue, value: IRValue) {
    let bad = block("fail")
    let rest = block("ok")
    LLVMBuildCondBr(builder, condition, bad, rest)
    LLVMPositionBuilderAtEnd(builder, bad)
    LLVMBuildStore(builder, position, status)
    var one: [IRValue?] = [int64(1)]
    let second = LLVMBuildInBoundsGEP2(builder, i64, status, &one, 1, "")
    LLVMBuildStore(builder, value, second)
    LLVMBuildRet(builder, LLVMConstInt(i32, UInt64(code), 0))
    LLVMPositionBuilderAtEnd(builder, rest)
  }

  // MARK: - Memory

  /// The address of element `index` (i64) of a buffer of `d` elements.
  func address(_ base: IRValue, _ d: DType, _ index: IRValue) -> IRValue {
    var indices: [IRValue?] = [index]
    return LLVMBuildInBoundsGEP2(builder, storageType(d), base, &indices, 1, "")
  }

  /// Loads `width` consecutive elements starting at `index`, as register values (i1 for i1).
  func load(_ base: IRValue, _ d: DType, _ index: IRValue, width: Int = 1) -> IRValue {
    let element = storageType(d)
    var at = address(base, d, index)
    let t = vector(element, width)
    if width > 1 { at = LLVMBuildBitCast(builder, at, pointer(to: t), "") }
    let value = LLVMBuildLoad2(builder, t, at, "")!
    LLVMSetAlignment(value, UInt32(d.byteSize))
    if d == .i1 { return LLVMBuildTrunc(builder, value, vector(i1, width), "") }
    return value
  }

  /// Stores a register value (scalar or `width` lanes) at element `index`.
  func store(_ value: IRValue, _ base: IRValue, _ d: DType, _ index: IRValue) {
    let width = split(typeOf(value)).width
    var v = value
    if d == .i1 { v = LLVMBuildZExt(builder, v, vector(i8, width), "") }
    var at = address(base, d, index)
    if width > 1 { at = LLVMBuildBitCast(builder, at, pointer(to: typeOf(v)), "") }
    let s = LLVMBuildStore(builder, v, at)
    LLVMSetAlignment(s, UInt32(d.byteSize))
  }

  // MARK: - Calls

  /// Calls the overloaded intrinsic `name` (e.g. `llvm.exp`) specialised for `overloads`.
  func intrinsic(_ name: String, _ overloads: [IRType], _ args: [IRValue]) -> IRValue {
    let id = LLVMLookupIntrinsicID(name, name.utf8.count)
    var types: [IRType?] = overloads
    let declaration = LLVMGetIntrinsicDeclaration(module, id, &types, overloads.count)
    let type = LLVMIntrinsicGetType(context, id, &types, overloads.count)
    var arguments: [IRValue?] = args
    return LLVMBuildCall2(builder, type, declaration, &arguments, UInt32(args.count), "")
  }

  /// Calls a unary intrinsic on a scalar or vector value of its own type.
  func intrinsic(_ name: String, _ x: IRValue) -> IRValue { intrinsic(name, [typeOf(x)], [x]) }

  /// `a·b + c` as `llvm.fmuladd` (may fuse; LLVM 14's C API has no contraction flags).
  func fmuladd(_ a: IRValue, _ b: IRValue, _ c: IRValue) -> IRValue {
    intrinsic("llvm.fmuladd", [typeOf(a)], [a, b, c])
  }

  /// Lane `i` of a vector (the value itself for a scalar).
  func lane(_ v: IRValue, _ i: Int) -> IRValue {
    if split(typeOf(v)).width == 1 { return v }
    return LLVMBuildExtractElement(builder, v, LLVMConstInt(i32, UInt64(i), 0), "")
  }

  // MARK: - Arithmetic shorthands

  func fadd(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildFAdd(builder, a, b, "") }
  func fsub(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildFSub(builder, a, b, "") }
  func fmul(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildFMul(builder, a, b, "") }
  func fdiv(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildFDiv(builder, a, b, "") }
  func fcmp(_ p: LLVMRealPredicate, _ a: IRValue, _ b: IRValue) -> IRValue {
    LLVMBuildFCmp(builder, p, a, b, "")
  }
  func icmp(_ p: LLVMIntPredicate, _ a: IRValue, _ b: IRValue) -> IRValue {
    LLVMBuildICmp(builder, p, a, b, "")
  }
  func select(_ c: IRValue, _ a: IRValue, _ b: IRValue) -> IRValue {
    LLVMBuildSelect(builder, c, a, b, "")
  }
  func and(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildAnd(builder, a, b, "") }
  func or(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildOr(builder, a, b, "") }
  func add(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildAdd(builder, a, b, "") }
  func mul(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildMul(builder, a, b, "") }

  /// `a + b` with i64 `a` and a constant.
  func offset(_ a: IRValue, _ b: Int) -> IRValue { b == 0 ? a : add(a, int64(b)) }
  /// `a·k` for an i64 value and a constant.
  func scaled(_ a: IRValue, _ k: Int) -> IRValue { k == 1 ? a : mul(a, int64(k)) }

  /// Converts a float value (scalar or vector) to another float element type.
  func convertFloat(_ v: IRValue, to element: IRType) -> IRValue {
    let (from, width) = split(typeOf(v))
    if from == element { return v }
    let target = vector(element, width)
    return from == f32
      ? LLVMBuildFPExt(builder, v, target, "") : LLVMBuildFPTrunc(builder, v, target, "")
  }
}
