// swift-format-ignore-file: AlwaysUseLowerCamelCase
// (the function names are the C API's, from include/scalpel.h)

import CScalpelHeader
import Codegen
import IR
import Passes
import Runtime

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// The graph half of include/scalpel.h: version, errors, parse, passes, print, compile.
// Signatures are checked against the header by `@c @implementation`; ownership is documented
// there.

@c @implementation
public func scalpel_version() -> UnsafePointer<CChar>? { versionCString }

@c @implementation
public func scalpel_last_error() -> UnsafePointer<CChar>? { lastError() }

@c @implementation
public func scalpel_graph_parse(
  _ irText: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
  out?.pointee = nil
  return boundary { () throws(APIError) in
    let out = try required(out, "out")
    let text = try string(irText, "ir_text")
    let graph: Graph
    do {
      graph = try Parser(customOps: FusedRegion.customOps).parseGraph(text)
    } catch {
      throw APIError(SCALPEL_ERROR_PARSE, "\(error)")
    }
    do {
      try verify(graph)
    } catch {
      throw APIError(SCALPEL_ERROR_VERIFY, "graph @\(graph.name) does not verify:\n\(error)")
    }
    out.pointee = GraphHandle(graph).retainedHandle()
  }
}

@c @implementation
public func scalpel_graph_apply(
  _ g: OpaquePointer?, _ pipeline: UnsafePointer<CChar>?,
  _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
  out?.pointee = nil
  return boundary { () throws(APIError) in
    let out = try required(out, "out")
    let graph = try GraphHandle.borrow(g, "g").graph
    let pipeline = try string(pipeline, "pipeline")
    do {
      var manager = try PassManager(pipeline: pipeline)
      out.pointee = GraphHandle(try manager.run(graph).graph).retainedHandle()
    } catch {
      throw APIError(SCALPEL_ERROR_PASS, "\(error)")
    }
  }
}

@c @implementation
public func scalpel_graph_print(
  _ g: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
  out?.pointee = nil
  return boundary { () throws(APIError) in
    let out = try required(out, "out")
    out.pointee = try ownedCString(printGraph(try GraphHandle.borrow(g, "g").graph))
  }
}

@c @implementation
public func scalpel_compile(
  _ g: OpaquePointer?, _ backend: UnsafePointer<CChar>?, _ threads: Int32,
  _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
  out?.pointee = nil
  return boundary { () throws(APIError) in
    let out = try required(out, "out")
    let graph = try GraphHandle.borrow(g, "g").graph
    let name = try string(backend, "backend")
    guard (0...SCALPEL_MAX_THREADS).contains(threads) else {
      throw .invalid(
        "threads is \(threads); expected 0 (all cores) to \(SCALPEL_MAX_THREADS)")
    }
    let chosen: any Backend
    switch name {
    case "jit":
      chosen = JITBackend(
        options: JITOptions(threads: threads == 0 ? JITOptions.hostThreads : Int(threads)))
    case "interpreter": chosen = InterpreterBackend()
    default: throw .invalid("unknown backend '\(name)'; expected 'jit' or 'interpreter'")
    }
    let executable: any GraphExecutable
    do {
      executable = try chosen.prepare(graph)
    } catch {
      throw APIError(SCALPEL_ERROR_COMPILE, "\(error)")
    }
    out.pointee = try ExecutableHandle(executable, signatureOf: graph).retainedHandle()
  }
}

@c @implementation
public func scalpel_graph_free(_ g: OpaquePointer?) { GraphHandle.release(g) }

@c @implementation
public func scalpel_executable_free(_ e: OpaquePointer?) { ExecutableHandle.release(e) }

@c @implementation
public func scalpel_string_free(_ s: UnsafeMutablePointer<CChar>?) { free(s) }
