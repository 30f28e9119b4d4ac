import Foundation
import IR
import Runtime
import Testing

@Suite struct ScalpelRunTests {
  func architectureInputs() -> [String] {
    ["x", "w", "y"].flatMap { ["--input", "\($0)=" + fixture("tools/architecture_\($0).npy")] }
  }

  @Test func runsTheArchitectureExampleLikeNumPy() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runTool(
      "scalpel",
      ["run", example("architecture.ir")] + architectureInputs() + ["--output-dir", dir.path])
    #expect(r.status == 0, "\(r.stderr)")
    let loss = try Npy.read(dir.appendingPathComponent("loss.npy").path)
    let expected = try Npy.read(fixture("tools/architecture_loss.npy"))
    #expect(loss.type == TensorType(.f32, []))
    let (a, b) = (loss.doubles[0], expected.doubles[0])
    #expect(abs(a - b) <= 1e-6 * abs(b), "scalpel \(a), numpy \(b)")
  }

  @Test func gradientThroughTheToolsMatchesNumPyFiniteDifferences() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let opt = try runTool(
      "scalpel-opt", [example("architecture.ir"), "--passes", "grad{of=loss wrt=w},cse,dce"])
    #expect(opt.status == 0, "\(opt.stderr)")
    #expect(opt.stdout.contains("grad_w: f32[3,2]"))
    let ir = dir.appendingPathComponent("grad.ir")
    try opt.stdout.write(to: ir, atomically: true, encoding: .utf8)
    let r = try runTool(
      "scalpel", ["run", ir.path] + architectureInputs() + ["--output-dir", dir.path])
    #expect(r.status == 0, "\(r.stderr)")
    let grad = try Npy.read(dir.appendingPathComponent("grad_w.npy").path).doubles
    let expected = try Npy.read(fixture("tools/architecture_grad_w.npy")).doubles
    for (g, e) in zip(grad, expected) {
      #expect(
        abs(g - e) <= 1e-5 + 1e-4 * abs(e), "scalpel \(grad), numpy finite differences \(expected)")
    }
  }

  @Test func inputErrorsAreClear() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let ir = example("architecture.ir")
    let x = fixture("tools/architecture_x.npy")
    let w = fixture("tools/architecture_w.npy")
    let y = fixture("tools/architecture_y.npy")
    let bad = dir.appendingPathComponent("bad.npy")
    try Data([0x93, 0x4E, 0x55]).write(to: bad)
    let cases: [([String], String)] = [
      (["--input", "x=\(x)", "--input", "w=\(w)"], "missing --input for parameter y"),
      (
        ["--input", "x=\(x)", "--input", "w=\(w)", "--input", "y=\(y)", "--input", "z=\(y)"],
        "has no parameter 'z'"
      ),
      (["--input", "x=\(w)", "--input", "w=\(w)", "--input", "y=\(y)"], "architecture_w.npy"),
      (["--input", "x=\(bad.path)", "--input", "w=\(w)", "--input", "y=\(y)"], "bad.npy"),
      (["--input", "x", "--input", "w=\(w)", "--input", "y=\(y)"], "expected NAME=PATH.npy"),
      (
        ["--input", "x=/nonexistent/x.npy", "--input", "w=\(w)", "--input", "y=\(y)"],
        "/nonexistent/x.npy"
      ),
    ]
    for (args, message) in cases {
      let r = try runTool("scalpel", ["run", ir] + args + ["--output-dir", dir.path])
      #expect(r.status != 0, "\(args) should fail")
      #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
      #expect(!r.stderr.contains("Fatal error"), "\(r.stderr)")
    }
  }

  @Test func wrongShapeInputNamesParameterAndTypes() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runTool(
      "scalpel",
      [
        "run", example("architecture.ir"), "--input", "x=" + fixture("tools/architecture_w.npy"),
        "--input", "w=" + fixture("tools/architecture_w.npy"), "--input",
        "y=" + fixture("tools/architecture_y.npy"),
        "--output-dir", dir.path,
      ])
    #expect(r.status != 0)
    #expect(r.stderr.contains("f32[4,3]") && r.stderr.contains("f32[3,2]"), "\(r.stderr)")
  }

  @Test func parseErrorsNameFileLineAndColumn() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("broken.ir")
    try "graph @g(%x: f32[2]) -> (y: f32[2]) {\n  %y = exp %x : f32[3]\n  return %y\n}\n".write(
      to: file, atomically: true, encoding: .utf8)
    for tool in ["scalpel", "scalpel-opt"] {
      let args = tool == "scalpel" ? ["run", file.path, "--output-dir", dir.path] : [file.path]
      let r = try runTool(tool, args)
      #expect(r.status != 0)
      #expect(r.stderr.contains("broken.ir:2:3"), "\(tool): \(r.stderr)")
    }
  }
}

@Suite struct ScalpelOptTests {
  @Test func roundTripsTheArchitectureExample() throws {
    let r = try runTool("scalpel-opt", [example("architecture.ir")])
    #expect(r.status == 0, "\(r.stderr)")
    let original = try Parser.parseFile(example("architecture.ir"))
    #expect(try Parser().parse(r.stdout) == original)
    // Canonical: printing the printed text again gives the same text.
    #expect(printModule(try Parser().parse(r.stdout)) == r.stdout)
  }

  @Test func unknownPassAndOptionsAreClearErrors() throws {
    let cases: [(String, String)] = [
      ("frobnicate", "unknown pass 'frobnicate'"),
      ("cse{fast=true}", "unknown option 'fast' for pass 'cse'"),
      ("grad{wrt=w}", "needs option 'of=RESULT'"),
      ("grad{of=loss wrt=nope}", "`grad` failed after []"),
      ("cse,dce{", "missing '}'"),
    ]
    for (pipeline, message) in cases {
      let r = try runTool("scalpel-opt", [example("architecture.ir"), "--passes", pipeline])
      #expect(r.status != 0, "\(pipeline)")
      #expect(r.stderr.contains(message), "\(pipeline): \(r.stderr)")
    }
  }

  @Test func printsIRAfterEveryPass() throws {
    let r = try runTool(
      "scalpel-opt",
      [example("architecture.ir"), "--passes", "grad{of=loss wrt=w},dce", "--print-ir-after-all"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("IR after grad") && r.stderr.contains("IR after dce"))
  }

  @Test func everyCommandHasHelp() throws {
    for (tool, args) in [
      ("scalpel", ["--help"]), ("scalpel", ["run", "--help"]), ("scalpel-opt", ["--help"]),
    ] {
      let r = try runTool(tool, args)
      #expect(r.status == 0)
      #expect(r.stdout.contains("USAGE"), "\(tool) \(args)")
    }
    let list = try runTool("scalpel-opt", ["--list-passes"])
    for name in ["canonicalize", "fold", "cse", "dce", "grad", "sgd"] {
      #expect(list.stdout.contains(name))
    }
  }
}

@Suite struct RolesAndAttentionToolTests {
  @Test func gradWithoutWrtDifferentiatesTheWeightsOnly() throws {
    let r = try runTool("scalpel-opt", [example("architecture.ir"), "--passes", "grad{of=loss}"])
    #expect(r.status == 0, "\(r.stderr)")
    let g = try Parser().parseGraph(r.stdout)
    #expect(g.results.map(\.name) == ["loss", "grad_w"])
    #expect(g.parameters.map(\.role) == [.input, .weight, .input])
  }

  @Test func surgeryPassReportsTheAttentionItFound() throws {
    let r = try runTool(
      "scalpel-opt",
      [fixture("passes/sink_divergence_gpt2.ir"), "--passes", "sink-divergence,dce"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(
      r.stderr.contains(
        "// @gpt2 sink-divergence: 1 attention layer × 2 heads (found by structure): layer 0 %p"),
      "\(r.stderr)")
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("bag.ir")
    try """
    graph @bag(%tokens: i32[1,3], %wte: f32[6,4]) -> (loss: f32[]) {
      %e = gather %wte, %tokens : f32[1,3,4]
      %loss = reduce_mean %e {axes = [0, 1, 2]} : f32[]
      return %loss
    }
    """.write(to: file, atomically: true, encoding: .utf8)
    let none = try runTool("scalpel-opt", [file.path, "--passes", "sink-divergence"])
    #expect(none.status != 0)
    #expect(none.stderr.contains("found no attention in @bag"), "\(none.stderr)")
  }
}
