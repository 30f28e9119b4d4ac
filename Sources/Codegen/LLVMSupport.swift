import CLLVM

// Owning Swift wrappers around the LLVM 14 C API handles the JIT needs.
//
// Ownership rules (LLVM 14): `LLVMOrcCreateLLJIT` consumes its builder,
// `LLVMOrcLLJITAddObjectFile` and `LLVMParseIRInContext` consume their memory buffers, and
// everything else created here is disposed by the wrapper's `deinit`. Each compilation uses its own context, module and target
// machine, so compilations on different threads share no LLVM state except the process-wide
// target registration done once in `HostTarget.shared`.

/// A failure inside LLVM (verifier, pass pipeline, code generation, JIT linking).
struct LLVMFailure: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}

/// Takes ownership of an `LLVMErrorRef` and turns it into a Swift error (nil on success).
func consume(_ error: LLVMErrorRef?) -> LLVMFailure? {
  guard let error else { return nil }
  guard let text = LLVMGetErrorMessage(error) else { return LLVMFailure(message: "LLVM error") }
  defer { LLVMDisposeErrorMessage(text) }
  return LLVMFailure(message: String(cString: text))
}

/// Copies and frees a string LLVM allocated with `malloc` (`LLVMDisposeMessage`).
func takeMessage(_ text: UnsafeMutablePointer<CChar>?) -> String {
  guard let text else { return "" }
  defer { LLVMDisposeMessage(text) }
  return String(cString: text)
}

/// The host's target description, registered once per process.
///
/// `@unchecked Sendable`: the `LLVMTargetRef` is an immutable registry entry owned by LLVM for
/// the life of the process; the strings are Swift copies.
final class HostTarget: @unchecked Sendable {
  let triple: String
  let cpu: String
  let features: String
  let target: LLVMTargetRef
  /// Bytes in one SIMD register the host has: 64 with AVX-512, 32 with AVX, else 16.
  let simdBytes: Int

  /// The host target, or the reason it cannot be used.
  static let shared: Result<HostTarget, LLVMFailure> = {
    LLVMInitializeX86TargetInfo()
    LLVMInitializeX86Target()
    LLVMInitializeX86TargetMC()
    LLVMInitializeX86AsmPrinter()
    let triple = takeMessage(LLVMGetDefaultTargetTriple())
    let cpu = takeMessage(LLVMGetHostCPUName())
    let features = takeMessage(LLVMGetHostCPUFeatures())
    var target: LLVMTargetRef?
    var message: UnsafeMutablePointer<CChar>?
    guard LLVMGetTargetFromTriple(triple, &target, &message) == 0, let target else {
      return .failure(LLVMFailure(message: "no LLVM target for \(triple): \(takeMessage(message))"))
    }
    let list = features.split(separator: ",")
    let simd = list.contains("+avx512f") ? 64 : list.contains("+avx") ? 32 : 16
    return .success(
      HostTarget(triple: triple, cpu: cpu, features: features, target: target, simdBytes: simd))
  }()

  /// The target for `level`: this host, or the named x86-64 level (its CPU name, the features
  /// that name implies, its vector width) when the host has every feature the level needs.
  func narrowed(to level: JITTarget) throws(CompileError) -> HostTarget {
    guard let bytes = level.vectorBytes else { return self }
    let missing = level.missingFeatures(hostFeatures: features)
    guard missing.isEmpty else {
      throw CompileError(
        "the JIT target \(level.rawValue) needs CPU features this host (\(cpu)) lacks: "
          + missing.joined(separator: ", "))
    }
    return HostTarget(
      triple: triple, cpu: level.rawValue, features: "", target: target, simdBytes: bytes)
  }

  private init(triple: String, cpu: String, features: String, target: LLVMTargetRef, simdBytes: Int)
  {
    self.triple = triple
    self.cpu = cpu
    self.features = features
    self.target = target
    self.simdBytes = simdBytes
  }

  /// A fresh target machine for the host CPU at the most aggressive code generation level.
  func makeTargetMachine() throws(LLVMFailure) -> TargetMachine {
    guard
      let tm = LLVMCreateTargetMachine(
        target, triple, cpu, features, LLVMCodeGenLevelAggressive, LLVMRelocPIC,
        LLVMCodeModelJITDefault)
    else { throw LLVMFailure(message: "cannot create a target machine for \(cpu)") }
    return TargetMachine(tm)
  }
}

/// Owns an `LLVMTargetMachineRef`.
final class TargetMachine {
  let handle: LLVMTargetMachineRef
  init(_ handle: LLVMTargetMachineRef) { self.handle = handle }
  deinit { LLVMDisposeTargetMachine(handle) }

  /// The data layout string modules must carry to be compiled by this machine.
  var dataLayout: String {
    let data = LLVMCreateTargetDataLayout(handle)
    defer { LLVMDisposeTargetData(data) }
    return takeMessage(LLVMCopyStringRepOfTargetData(data))
  }
}

/// Owns an LLVM context and one module in it (disposed together, module first).
final class ModuleOwner {
  let context: LLVMContextRef
  let module: LLVMModuleRef

  init(name: String) {
    context = LLVMContextCreate()
    module = LLVMModuleCreateWithNameInContext(name, context)
  }
  /// The module of LLVM assembly `text`, or the parser's report.
  init(parsing text: String, name: String) throws(LLVMFailure) {
    let context = LLVMContextCreate()!
    let bytes = Array(text.utf8)
    let buffer = bytes.withUnsafeBufferPointer { raw in
      raw.withMemoryRebound(to: CChar.self) {
        LLVMCreateMemoryBufferWithMemoryRangeCopy($0.baseAddress, $0.count, name)
      }
    }
    var module: LLVMModuleRef?
    var message: UnsafeMutablePointer<CChar>?
    // The parser takes the buffer.
    guard LLVMParseIRInContext(context, buffer, &module, &message) == 0, let module else {
      LLVMContextDispose(context)
      throw LLVMFailure(message: "LLVM assembly does not parse: \(takeMessage(message))")
    }
    self.context = context
    self.module = module
  }

  deinit {
    LLVMDisposeModule(module)
    LLVMContextDispose(context)
  }

  /// The module as LLVM assembly text.
  var text: String { takeMessage(LLVMPrintModuleToString(module)) }

  /// Runs the LLVM verifier; throws its report.
  func verify() throws(LLVMFailure) {
    var message: UnsafeMutablePointer<CChar>?
    if LLVMVerifyModule(module, LLVMReturnStatusAction, &message) != 0 {
      throw LLVMFailure(message: "LLVM module does not verify:\n\(takeMessage(message))")
    }
    LLVMDisposeMessage(message)
  }

  /// Runs the new-pass-manager pipeline `passes` (e.g. `default<O3>`).
  func optimize(_ passes: String, _ tm: TargetMachine) throws(LLVMFailure) {
    let options = LLVMCreatePassBuilderOptions()
    defer { LLVMDisposePassBuilderOptions(options) }
    LLVMPassBuilderOptionsSetLoopVectorization(options, 1)
    LLVMPassBuilderOptionsSetSLPVectorization(options, 1)
    LLVMPassBuilderOptionsSetLoopInterleaving(options, 1)
    LLVMPassBuilderOptionsSetLoopUnrolling(options, 0)
    if let failure = consume(LLVMRunPasses(module, passes, tm.handle, options)) { throw failure }
  }

  /// Compiles the module to a relocatable object file in memory.
  func emitObject(_ tm: TargetMachine) throws(LLVMFailure) -> [UInt8] {
    var message: UnsafeMutablePointer<CChar>?
    var buffer: LLVMMemoryBufferRef?
    guard
      LLVMTargetMachineEmitToMemoryBuffer(tm.handle, module, LLVMObjectFile, &message, &buffer)
        == 0, let buffer
    else { throw LLVMFailure(message: "code generation failed: \(takeMessage(message))") }
    defer { LLVMDisposeMemoryBuffer(buffer) }
    let start = UnsafeRawPointer(LLVMGetBufferStart(buffer))
    let size = LLVMGetBufferSize(buffer)
    guard let start, size > 0 else { return [] }
    return Array(UnsafeRawBufferPointer(start: start, count: size))
  }
}

/// Owns an ORC LLJIT instance holding the machine code of one compiled graph.
///
/// `@unchecked Sendable`: after `init` and `lookup` complete (during compilation) the JIT is
/// only read: executables call the function addresses it returned, which stay valid until
/// `deinit` disposes the JIT. Nothing mutates it concurrently.
final class JITSession: @unchecked Sendable {
  private let jit: LLVMOrcLLJITRef

  /// A JIT whose main library resolves undefined symbols (libm, OpenBLAS) in this process.
  init() throws(LLVMFailure) {
    var jit: LLVMOrcLLJITRef?
    if let failure = consume(LLVMOrcCreateLLJIT(&jit, nil)) { throw failure }
    guard let jit else { throw LLVMFailure(message: "LLJIT creation returned nothing") }
    self.jit = jit
    var generator: LLVMOrcDefinitionGeneratorRef?
    let prefix = LLVMOrcLLJITGetGlobalPrefix(jit)
    if let failure = consume(
      LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&generator, prefix, nil, nil))
    {
      throw failure
    }
    LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(jit), generator)
  }

  deinit { _ = consume(LLVMOrcDisposeLLJIT(jit)) }

  /// Adds a relocatable object file (copied) to the main library.
  func addObject(_ bytes: [UInt8], name: String) throws(LLVMFailure) {
    let buffer = bytes.withUnsafeBufferPointer { raw in
      raw.withMemoryRebound(to: CChar.self) { chars in
        LLVMCreateMemoryBufferWithMemoryRangeCopy(chars.baseAddress, chars.count, name)
      }
    }
    if let failure = consume(
      LLVMOrcLLJITAddObjectFile(jit, LLVMOrcLLJITGetMainJITDylib(jit), buffer))
    {
      throw failure
    }
  }

  /// The address of a defined function (links the object on first use).
  func lookup(_ symbol: String) throws(LLVMFailure) -> UnsafeRawPointer {
    var address: LLVMOrcExecutorAddress = 0
    if let failure = consume(LLVMOrcLLJITLookup(jit, &address, symbol)) { throw failure }
    guard let pointer = UnsafeRawPointer(bitPattern: UInt(address)) else {
      throw LLVMFailure(message: "symbol \(symbol) has a null address")
    }
    return pointer
  }
}
