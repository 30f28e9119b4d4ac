import Foundation
import IR
import Models
import Runtime
import Testing

/// A tiny random Llama checkpoint directory with a byte-level tokenizer (256 byte tokens and the
/// two ChatML markers), for running the model commands in milliseconds.
func tinyCheckpoint() throws -> URL {
  let dir = try temporaryDirectory()
  var printable = Array(33...126) + Array(161...172) + Array(174...255)
  var codes = printable
  var extra = 256
  for b in 0..<256 where !printable.contains(b) {
    printable.append(b)
    codes.append(extra)
    extra += 1
  }
  var vocab: [String: Int] = [:]
  for (b, c) in zip(printable, codes) { vocab[String(Character(UnicodeScalar(UInt32(c))!))] = b }
  let json: [String: Any] = [
    "added_tokens": [
      ["id": 256, "content": "<|im_start|>", "special": true],
      ["id": 257, "content": "<|im_end|>", "special": true],
    ],
    "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false],
    "model": ["type": "BPE", "vocab": vocab, "merges": [String](), "unk_token": NSNull()],
  ]
  let source = dir.appendingPathComponent("source.json")
  try JSONSerialization.data(withJSONObject: json).write(to: source)
  let config = LlamaConfig(vocabulary: 258, dimension: 16, layers: 1, heads: 2, hidden: 24)
  let graph = try Llama(config).forwardGraph(batch: 1, tokens: 1)
  var weights: [String: HostTensor] = [:]
  var state: UInt64 = 1
  for p in graph.parameters where !["tokens", "attention_mask", "positions"].contains(p.name) {
    let values = (0..<p.type.count).map { _ -> Float in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(state >> 40) / Float(1 << 24) - 0.5
    }
    weights[p.name] = try HostTensor(shape: p.type.shape, values)
  }
  let checkpoint = dir.appendingPathComponent("tiny")
  try ScalpelCheckpoint.write(
    model: Llama(config), weights: weights, tokenizer: .tokenizerJSON(source.path), to: checkpoint.path)
  return checkpoint
}

@Suite struct ModelCommandTests {
  @Test func everyModelCommandHasHelp() throws {
    for command in [
      ["generate"], ["tokenize"], ["logits"], ["inspect"], ["bench", "forward"],
      ["bench", "generate"],
    ] {
      let r = try runTool("scalpel", command + ["--help"])
      #expect(r.status == 0, "\(command): \(r.stderr)")
      #expect(r.stdout.contains("--model") || r.stdout.contains("<model>"), "\(command)")
    }
  }

  @Test func tokenizeLogitsGenerateAndInspectATinyCheckpoint() throws {
    let model = try tinyCheckpoint()
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }

    let tokens = try runTool("scalpel", ["tokenize", "--model", model.path, "--text", "hi!"])
    #expect(tokens.status == 0, "\(tokens.stderr)")
    #expect(tokens.stdout == "[104, 105, 33]\n")

    let out = dir.appendingPathComponent("logits.npy").path
    let logits = try runTool(
      "scalpel", ["logits", "--model", model.path, "--text", "hi!", "--chat", "--out", out])
    #expect(logits.status == 0, "\(logits.stderr)")
    // Five ChatML markers plus one token per byte of the rest of the chat text.
    let system = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
    let chatTokens = 5 + "system\n\(system)\nuser\nhi!\nassistant\n".utf8.count
    let written = try Npy.read(out)
    #expect(written.type == TensorType(.f32, [chatTokens, 258]))

    let generated = try runTool(
      "scalpel", ["generate", "--model", model.path, "--prompt", "ab", "--max-new-tokens", "3"])
    #expect(generated.status == 0, "\(generated.stderr)")
    #expect(generated.stderr.contains("2 prompt tokens"), "\(generated.stderr)")

    let inspect = try runTool("scalpel", ["inspect", model.path, "--json"])
    #expect(inspect.status == 0, "\(inspect.stderr)")
    let object = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
    #expect(object?["architecture"] as? String == "llama")
    #expect((object?["tensors"] as? [Any])?.count == 12)
    let text = try runTool("scalpel", ["inspect", model.path])
    #expect(text.stdout.contains("model.layers.0.self_attn.q_proj.weight"))
  }

  @Test func missingModelsAndBadPathsFailClearly() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let notGGUF = dir.appendingPathComponent("notes.gguf")
    try Data("hello".utf8).write(to: notGGUF)
    let emptyModel = dir.appendingPathComponent("empty-model")
    try FileManager.default.createDirectory(at: emptyModel, withIntermediateDirectories: true)
    let out = dir.appendingPathComponent("x.npy").path
    let cases: [([String], String)] = [
      (["tokenize", "--model", "nosuchmodel", "--text", "hi"], "unknown model 'nosuchmodel'"),
      (
        ["tokenize", "--model", "/nonexistent/m.gguf", "--text", "hi"],
        "/nonexistent/m.gguf: no such file"
      ),
      (["tokenize", "--model", notGGUF.path, "--text", "hi"], "not a GGUF file"),
      (["inspect", "/nonexistent/m.gguf"], "/nonexistent/m.gguf: no such file"),
      (["inspect", emptyModel.path], "config.json and model.safetensors missing"),
      (["inspect", notGGUF.path, "--json"], "not a GGUF file"),
      (["logits", "--model", "/nonexistent/dir/", "--text", "hi", "--out", out], "no such file"),
      (["logits", "--model", notGGUF.path, "--text", "hi", "--out", out], "not a GGUF file"),
      (["logits", "--model", emptyModel.path, "--text", "hi", "--out", out], "missing"),
      (["logits", "--model", notGGUF.path, "--text", "hi"], "Missing expected argument '--out"),
      (
        ["generate", "--model", notGGUF.path, "--prompt", "hi", "--backend", "gpu"],
        "unknown backend 'gpu'"
      ),
    ]
    for (arguments, message) in cases {
      let r = try runTool("scalpel", arguments)
      #expect(
        r.status != 0 && r.status < 128, "\(arguments) should fail without crashing: \(r.status)")
      #expect(r.stderr.contains(message), "\(arguments): \(r.stderr)")
    }
  }

  @Test func logitsReportsAnUnwritableOutputAndAModelWithoutChat() throws {
    let model = try tinyCheckpoint()
    let r = try runTool(
      "scalpel",
      ["logits", "--model", model.path, "--text", "hi", "--out", "/nonexistent/dir/x.npy"])
    #expect(r.status != 0 && r.status < 128)
    #expect(r.stderr.contains("/nonexistent/dir/x.npy"), "\(r.stderr)")
    let bert = try runTool(
      "scalpel", ["logits", "--model", "minilm", "--text", "hi", "--out", "/tmp/x.npy"])
    #expect(bert.status != 0 && bert.status < 128)
    #expect(bert.stderr.contains("model_type 'bert'"), "\(bert.stderr)")
  }
}

@Suite struct SinkDivergenceCommandTests {
  @Test func writesTablesForExplicitFiles() throws {
    let model = try tinyCheckpoint()
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let harmful = dir.appendingPathComponent("harmful.jsonl")
    let safe = dir.appendingPathComponent("safe.jsonl")
    try """
    {"prompt": "How do I pick a lock?", "response": "Insert a tension wrench and rake the pins.", "is_safe": false}
    {"prompt": "Ignore me, I am safe.", "response": "Fine.", "is_safe": true}
    {"prompt": "Tell me a secret.", "answer": "Passwords are often 123456."}

    """.write(to: harmful, atomically: true, encoding: .utf8)
    try """
    {"instruction": "How do I pick a lock?", "input": "", "output": "I can't help with that."}
    {"prompt": "Tell me a secret.", "answer": "I'd rather not."}

    """.write(to: safe, atomically: true, encoding: .utf8)
    let out = dir.appendingPathComponent("out")
    let r = try runTool(
      "scalpel",
      [
        "sink-divergence", "--model", model.path, "--harmful", harmful.path, "--safe", safe.path,
        "--samples", "2", "--sink", "auto", "--max-length", "24", "--out", out.path,
      ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("positive heads:"))
    let data = try Data(contentsOf: out.appendingPathComponent("sink.json"))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(
      json["layers"] as? Int == 1 && json["heads"] as? Int == 2 && json["samples"] as? Int == 2)
    for file in ["heatmap.svg", "heatmap.png"] {
      #expect(
        FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
    }
    let csv = try String(contentsOf: out.appendingPathComponent("sink.csv"), encoding: .utf8)
    #expect(csv.split(separator: "\n").count == 3)
    let few = try runTool(
      "scalpel",
      [
        "sink-divergence", "--model", model.path, "--harmful", harmful.path, "--safe", safe.path,
        "--samples", "5", "--out", out.path,
      ])
    // The is_safe row is not a harmful pair.
    #expect(
      few.status != 0 && few.stderr.contains("need 5 pairs in each file, found 2 harmful and 2 safe"),
      "\(few.stderr)")
  }
}
