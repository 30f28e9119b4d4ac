import IR
import Passes
import Testing

@Suite struct PipelineParsingTests {
  @Test func parsesNamesAndOptions() throws {
    let p = try parsePassPipeline(
      "sink-divergence{lambda=300 sink=0},grad{of=loss wrt=w,b},canonicalize,cse,dce")
    #expect(p.map(\.name) == ["sink-divergence", "grad", "canonicalize", "cse", "dce"])
    #expect(p[0].options.keys == ["lambda", "sink"])
    #expect(try p[0].options.int("lambda", default: 0) == 300)
    #expect(try p[0].options.bool("sink", default: true) == false)
    #expect(try p[1].options.string("of") == "loss")
    #expect(p[1].options.list("wrt") == ["w", "b"])
    #expect(p[2].options.isEmpty)
  }

  @Test func toleratesSpacesAndEmptyBraces() throws {
    let p = try parsePassPipeline("  canonicalize { max-iterations=3 } , cse{} ,dce ")
    #expect(p.map(\.name) == ["canonicalize", "cse", "dce"])
    #expect(try p[0].options.int("max-iterations", default: 0) == 3)
    #expect(p[1].options.isEmpty)
  }

  @Test func emptyPipelineIsNoPasses() throws {
    #expect(try parsePassPipeline("").isEmpty)
    #expect(try parsePassPipeline("   ").isEmpty)
  }

  /// Every malformed form, with a piece of the message it must give.
  @Test(arguments: [
    (",cse", "expected a pass name at column 1"),
    ("cse,", "expected a pass name at column 5"),
    ("cse,,dce", "expected a pass name at column 5"),
    ("{a=1}", "expected a pass name at column 1"),
    ("cse{", "missing '}' closing the options of 'cse' opened at column 4"),
    ("cse{a=1", "missing '}'"),
    ("cse}", "expected ',' between passes at column 4, found '}'"),
    ("cse{a=1}}", "expected ',' between passes at column 9"),
    ("cse dce", "expected ',' between passes at column 5, found 'd'"),
    ("cse{a=1}dce", "expected ',' between passes at column 9"),
    ("cse{a}", "option 'a' of 'cse' needs a value"),
    ("cse{=1}", "expected an option name in the options of 'cse' at column 5"),
    ("cse{a=}", "empty value for option 'a' of 'cse'"),
    ("cse{a=1,}", "empty value for option 'a' of 'cse'"),
    ("cse{a=1,,2}", "empty value for option 'a' of 'cse'"),
    ("cse{a=1 a=2}", "option 'a' is given twice to 'cse'"),
    ("cse{a{b}=1}", "option 'a' of 'cse' needs a value"),
    ("cse{a=b{c}}", "expected a space or '}' after option 'a'"),
    ("c$e", "expected ',' between passes at column 2, found '$'"),
  ])
  func rejectsMalformed(text: String, message: String) {
    #expect {
      try parsePassPipeline(text)
    } throws: { error in
      "\(error)".contains(message)
    }
  }

  @Test func registryRejectsUnknownPassListingKnownOnes() {
    #expect {
      try PassRegistry.standard.makePasses("canonicalize,frobnicate")
    } throws: { error in
      "\(error)"
        == "unknown pass 'frobnicate'; known passes: "
        + PassRegistry.standard.names.joined(separator: ", ")
    }
  }

  @Test func registryRejectsUnknownOptions() {
    #expect {
      try PassRegistry.standard.makePasses("cse{aggressive=true}")
    } throws: { error in
      "\(error)" == "unknown option 'aggressive' for pass 'cse'; it takes no options"
    }
    #expect {
      try PassRegistry.standard.makePasses("canonicalize{max-iter=3}")
    } throws: { error in
      "\(error)"
        == "unknown option 'max-iter' for pass 'canonicalize'; known options: max-iterations"
    }
  }

  @Test func registryRejectsMalformedOptionValues() {
    #expect {
      try PassRegistry.standard.makePasses("canonicalize{max-iterations=many}")
    } throws: { error in
      "\(error)" == "option 'max-iterations' of 'canonicalize' must be an integer, got 'many'"
    }
    #expect {
      try PassRegistry.standard.makePasses("canonicalize{max-iterations=1,2}")
    } throws: { error in
      "\(error)".contains("takes one value, got 2")
    }
    #expect {
      try PassRegistry.standard.makePasses("canonicalize{max-iterations=0}")
    } throws: { error in
      "\(error)".contains("must be at least 1")
    }
  }

  @Test func registryBuildsConfiguredPasses() throws {
    let passes = try PassRegistry.standard.makePasses("canonicalize{max-iterations=4},fold,cse,dce")
    #expect(passes.map(\.name) == ["canonicalize", "fold", "cse", "dce"])
    #expect((passes[0] as? Canonicalize)?.maxIterations == 4)
  }

  @Test func registryIsExtensible() throws {
    var registry = PassRegistry.standard
    registry.register(
      name: "record", summary: "test stand-in", options: [("of", "result"), ("wrt", "parameters")]
    ) { (o: PassOptions) throws(PassError) -> any Pass in
      RecordingPass(name: "record", note: (o.list("wrt") ?? []).joined(separator: "+"))
    }
    let passes = try registry.makePasses("record{of=loss wrt=w,b},dce")
    #expect(passes.map(\.name) == ["record", "dce"])
    #expect((passes[0] as? RecordingPass)?.note == "w+b")
    #expect(registry.names == (PassRegistry.standard.names + ["record"]).sorted())
    #expect(PassRegistry.standard.entries["record"] == nil)
  }
}

/// A pass that changes nothing and records its note.
struct RecordingPass: Pass {
  var name: String
  var note: String = ""
  mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    context.notes[name] = note
    return false
  }
}
