import Foundation
import IR
import Runtime

/// Loads Llama-family weights, with Hugging Face names, from GGUF files and from Hugging Face
/// directories (`config.json` + `model.safetensors`).
///
/// GGUF q/k projections are stored with llama.cpp's per-head row permutation (for the
/// adjacent-pairs rotary layout). By default the loader undoes it, so the weights are the
/// Hugging Face ones and the model uses the rotate-half layout; `layout: .adjacentPairs` keeps
/// the stored rows and rotates adjacent pairs instead (the two agree, as a test checks).
public enum LlamaCheckpoint {
  /// The configuration stored in a GGUF file's `llama.*` metadata.
  public static func config(_ gguf: GGUFFile, layout: RotaryLayout = .rotateHalf) throws(ModelError)
    -> LlamaConfig
  {
    guard let architecture = gguf.architecture, architecture == "llama" else {
      throw ModelError(
        "general.architecture is '\(gguf.architecture ?? "missing")'; only 'llama' is supported",
        file: gguf.path, key: "general.architecture")
    }
    let heads = try gguf.int("llama.attention.head_count")
    let vocabulary: Int
    if let embedding = gguf.info("token_embd.weight"), let rows = embedding.shape.first {
      vocabulary = rows
    } else {
      vocabulary = try gguf.strings("tokenizer.ggml.tokens").count
    }
    let config = LlamaConfig(
      vocabulary: vocabulary, dimension: try gguf.int("llama.embedding_length"),
      layers: try gguf.int("llama.block_count"), heads: heads,
      kvHeads: (try? gguf.int("llama.attention.head_count_kv")) ?? heads,
      hidden: try gguf.int("llama.feed_forward_length"),
      ropeBase: (try? gguf.float("llama.rope.freq_base")) ?? 10000,
      rmsEpsilon: (try? gguf.float("llama.attention.layer_norm_rms_epsilon")) ?? 1e-5,
      tiedEmbeddings: gguf.info("output.weight") == nil, ropeLayout: layout,
      contextLength: (try? gguf.int("llama.context_length")) ?? 2048)
    if let problem = config.problems().first {
      throw ModelError("inconsistent llama metadata: \(problem)", file: gguf.path)
    }
    return config
  }

  /// The Hugging Face name of a GGUF Llama tensor, or nil for tensors the model does not use.
  public static func huggingFaceName(_ name: String) -> String? {
    switch name {
    case "token_embd.weight": return "model.embed_tokens.weight"
    case "output_norm.weight": return "model.norm.weight"
    case "output.weight": return "lm_head.weight"
    default: break
    }
    let parts = name.split(separator: ".")
    guard parts.count == 4, parts[0] == "blk", let layer = Int(parts[1]), parts[3] == "weight"
    else { return nil }
    let p = "model.layers.\(layer)"
    switch parts[2] {
    case "attn_norm": return "\(p).input_layernorm.weight"
    case "ffn_norm": return "\(p).post_attention_layernorm.weight"
    case "attn_q": return "\(p).self_attn.q_proj.weight"
    case "attn_k": return "\(p).self_attn.k_proj.weight"
    case "attn_v": return "\(p).self_attn.v_proj.weight"
    case "attn_output": return "\(p).self_attn.o_proj.weight"
    case "ffn_gate": return "\(p).mlp.gate_proj.weight"
    case "ffn_up": return "\(p).mlp.up_proj.weight"
    case "ffn_down": return "\(p).mlp.down_proj.weight"
    default: return nil
    }
  }

  /// Every weight of a GGUF Llama, dequantized to f32, by Hugging Face name.
  public static func weights(_ gguf: GGUFFile, config: LlamaConfig) throws(ModelError) -> [String:
    HostTensor]
  {
    var out: [String: HostTensor] = [:]
    for info in gguf.tensors {
      guard let name = huggingFaceName(info.name) else { continue }
      var t = try gguf.tensor(info.name)
      if config.ropeLayout == .rotateHalf {
        if name.hasSuffix("q_proj.weight") {
          t = try unpermuteRotaryRows(t, heads: config.heads, file: gguf.path, tensor: info.name)
        } else if name.hasSuffix("k_proj.weight") {
          t = try unpermuteRotaryRows(t, heads: config.kvHeads, file: gguf.path, tensor: info.name)
        }
      }
      out[name] = t
    }
    return out
  }

  /// Reorders the rows of each head from adjacent pairs (2i, 2i+1) to halves (i, i + d/2):
  /// Hugging Face row `h·d + r·d/2 + i` is GGUF row `h·d + 2i + r`.
  public static func unpermuteRotaryRows(_ t: HostTensor, heads: Int, file: String, tensor: String)
    throws(ModelError) -> HostTensor
  {
    guard t.shape.count == 2, heads > 0, t.shape[0] % heads == 0, (t.shape[0] / heads) % 2 == 0,
      let values = t.array(of: Float.self)
    else {
      throw ModelError(
        "expected an f32 [heads·head_dim, in] matrix, got \(t.type)", file: file, tensor: tensor)
    }
    let (rows, columns) = (t.shape[0], t.shape[1])
    let d = rows / heads
    var out = [Float](repeating: 0, count: values.count)
    for h in 0..<heads {
      for r in 0..<2 {
        for i in 0..<(d / 2) {
          let source = (h * d + 2 * i + r) * columns
          let target = (h * d + r * d / 2 + i) * columns
          out[target..<(target + columns)] = values[source..<(source + columns)]
        }
      }
    }
    do {
      return try HostTensor(shape: t.shape, out)
    } catch {
      throw ModelError(error.message, file: file, tensor: tensor)
    }
  }

  /// The configuration in a Hugging Face `config.json` (LlamaForCausalLM).
  public static func config(huggingFaceJSON path: String) throws(ModelError) -> LlamaConfig {
    try config(huggingFaceObject: try readJSONObject(path), file: path)
  }

  /// The configuration in a Hugging Face `config.json` object (`file` names it in errors).
  public static func config(huggingFaceObject object: [String: Any], file path: String)
    throws(ModelError) -> LlamaConfig
  {
    func int(_ key: String) throws(ModelError) -> Int {
      guard let v = object[key] as? Int else {
        throw ModelError("missing integer", file: path, key: key)
      }
      return v
    }
    let heads = try int("num_attention_heads")
    let config = LlamaConfig(
      vocabulary: try int("vocab_size"), dimension: try int("hidden_size"),
      layers: try int("num_hidden_layers"),
      heads: heads, kvHeads: (object["num_key_value_heads"] as? Int) ?? heads,
      hidden: try int("intermediate_size"),
      ropeBase: (object["rope_theta"] as? Double)
        ?? ((object["rope_parameters"] as? [String: Any])?["rope_theta"] as? Double) ?? 10000,
      rmsEpsilon: (object["rms_norm_eps"] as? Double) ?? 1e-5,
      tiedEmbeddings: (object["tie_word_embeddings"] as? Bool) ?? false, ropeLayout: .rotateHalf,
      contextLength: (object["max_position_embeddings"] as? Int) ?? 2048)
    if let problem = config.problems().first {
      throw ModelError("inconsistent configuration: \(problem)", file: path)
    }
    return config
  }

  /// A Hugging Face `config.json` object (LlamaForCausalLM) for `config`.
  public static func huggingFaceJSON(_ config: LlamaConfig) -> [String: Any] {
    [
      "architectures": ["LlamaForCausalLM"], "model_type": "llama",
      "vocab_size": config.vocabulary, "hidden_size": config.dimension,
      "num_hidden_layers": config.layers, "num_attention_heads": config.heads,
      "num_key_value_heads": config.kvHeads, "intermediate_size": config.hidden,
      "head_dim": config.headDimension, "rope_theta": config.ropeBase,
      "rms_norm_eps": config.rmsEpsilon, "tie_word_embeddings": config.tiedEmbeddings,
      "max_position_embeddings": config.contextLength, "hidden_act": "silu",
      "torch_dtype": "float32",
    ]
  }
}
