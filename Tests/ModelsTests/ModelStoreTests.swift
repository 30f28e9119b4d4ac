import Foundation
import IR
import Models
import Runtime
import Testing

@Suite struct ModelStoreTests {
  @Test func referencesParseNamesAndPaths() {
    #expect(ModelReference("smollm2") == .known(.smolLM2))
    #expect(ModelReference("MiniLM") == .known(.miniLM))
    #expect(ModelReference("./model.gguf") == .path("./model.gguf"))
  }

  @Test func missingModelsAndBadPathsAreClearErrors() throws {
    let empty = try temporaryDirectory()
    let store = ModelStore(cacheDirectory: empty)
    func message(_ reference: ModelReference) -> String {
      do {
        _ = try store.locate(reference)
        return "no error"
      } catch {
        return error.description
      }
    }
    let missing = message(.known(.smolLM2))
    #expect(missing.contains("SCALPEL_CACHE=\(empty) scripts/fetch-models smollm2"), "\(missing)")
    #expect(
      message(.path("gpt5")).contains("unknown model 'gpt5': known names are smollm2, minilm"))
    #expect(message(.path(empty + "/none.gguf")).contains("no such file or directory"))
    let text = try writeTemporary(Array("hello".utf8), name: "model.gguf")
    #expect(message(.path(text)).contains("not a GGUF file"))
    #expect(message(.path(empty)).contains("config.json and model.safetensors missing"))
    // A failing fetch script is reported with its command.
    let script = empty + "/fail.sh"
    try "#!/bin/sh\nexit 3\n".write(toFile: script, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
    let failing = ModelStore(cacheDirectory: empty, fetchScript: script)
    #expect(throws: ModelError.self) { try failing.locate(.known(.miniLM)) }
  }

  @Test func aMissingKnownModelIsFetchedWithTheScript() throws {
    let cache = try temporaryDirectory()
    // A stand-in for scripts/fetch-models: creates the file where the real one would.
    let script = cache + "/fetch.sh"
    try """
    #!/bin/sh
    mkdir -p "$SCALPEL_CACHE/models/$1"
    printf 'GGUF' > "$SCALPEL_CACHE/models/$1/SmolLM2-135M-Instruct.Q4_1.gguf"
    """.write(toFile: script, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
    let store = ModelStore(cacheDirectory: cache, fetchScript: script)
    let location = try store.locate(.known(.smolLM2))
    #expect(
      location
        == ModelLocation(
          format: .gguf, path: cache + "/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
  }

  @Test func findsTheFetchScriptOfTheCheckout() {
    let script = ModelStore.findFetchScript(near: [repositoryRoot + "/Sources/Models"])
    #expect(script == repositoryRoot + "/scripts/fetch-models")
  }

  @Test func checkpointRoundTrip() throws {
    let (directory, weights) = try TinyModels.checkpoint()
    let location = try ModelLocation.detect(directory)
    #expect(location.format == .directory)
    let model = try LoadedLanguageModel(location)
    #expect(model.config == TinyModels.config)
    #expect(model.weights == weights)
    #expect(model.chatTemplate != nil)
    #expect(model.stopTokenIds == [257])
    #expect(model.tokenizer.encode("a t") == [97, 258])
    #expect(
      try ScalpelCheckpoint.tokenizerSource(of: location)
        == .tokenizerJSON(directory + "/tokenizer.json"))
    // Generation from the loaded checkpoint equals generation from the weights in memory.
    let options = GenerationOptions(maxNewTokens: 5)
    let loaded = try TextGenerator(model).generate([[1, 2, 3]], options: options)
    let direct = try TextGenerator(runner: LlamaRunner(config: TinyModels.config, weights: weights))
      .generate([[1, 2, 3]], options: options)
    #expect(loaded == direct)
    let description = try ModelDescription(location)
    #expect(description.architecture == "llama")
    #expect(description.parameterCount == model.parameterCount)
    #expect(description.tensors.count == weights.count)
    #expect(description.tokenizer == "byte-level-bpe, 259 tokens")
  }

  @Test func checkpointWithTheTokenizerOfAGGUFFile() throws {
    let gguf = try modelFile("smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
    let dir = try temporaryDirectory()
    try ScalpelCheckpoint.write(
      model: Llama(TinyModels.config), weights: try TinyModels.weights(), tokenizer: .gguf(gguf), to: dir)
    let tokenizer = try TextTokenizer(try ModelLocation.detect(dir))
    #expect(
      tokenizer.encode("What is the capital of France?") == [1780, 314, 260, 3575, 282, 4649, 47])
  }

  @Test func checkpointsRefuseAdjacentPairWeights() throws {
    var config = TinyModels.config
    config.ropeLayout = .adjacentPairs
    #expect(throws: ModelError.self) {
      try ScalpelCheckpoint.write(
        model: Llama(config), weights: try TinyModels.weights(), tokenizer: .gguf("x.gguf"),
        to: try temporaryDirectory())
    }
  }

  @Test func incompleteCheckpointsNameWhatIsWrong() throws {
    let (directory, weights) = try TinyModels.checkpoint()
    var partial = weights
    partial["model.layers.1.mlp.up_proj.weight"] = nil
    try SafetensorsWriter.write(partial, to: directory + "/model.safetensors")
    do {
      _ = try LoadedLanguageModel(try ModelLocation.detect(directory))
      Issue.record("a missing weight should be an error")
    } catch {
      #expect(error.tensor == "model.layers.1.mlp.up_proj.weight")
      #expect(error.message.contains("missing weight"))
    }
    try FileManager.default.removeItem(atPath: directory + "/tokenizer.json")
    #expect(throws: ModelError.self) { try TextTokenizer(try ModelLocation.detect(directory)) }
    // A BERT directory is not a language model.
    let minilm = URL(fileURLWithPath: try modelFile("minilm", "model.safetensors"))
      .deletingLastPathComponent().path
    #expect(throws: ModelError.self) { try LoadedLanguageModel(try ModelLocation.detect(minilm)) }
    #expect(
      try TextTokenizer(try ModelLocation.detect(minilm)).encode("Hello world") == [
        101, 7592, 2088, 102,
      ])
  }
}

/// The default model end to end: fetched if missing, loaded, a short greedy chat answer.
@Suite struct SmolLM2GenerationTests {
  @Test func answersTheCapitalOfFrance() throws {
    let model = try testModelStore.loadLanguageModel(.known(.smolLM2))
    let template = try #require(model.chatTemplate)
    let prompt = model.tokenizer.encode(template.prompt("What is the capital of France?"))
    let result = try #require(
      try TextGenerator(model).generate(
        [prompt], options: GenerationOptions(maxNewTokens: 8, stopTokenIds: model.stopTokenIds)
      ).first)
    let text = try model.tokenizer.decode(result.tokens)
    #expect(text.contains("Paris"), "\(text)")
  }
}
