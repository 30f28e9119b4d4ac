#!/usr/bin/env python3
"""Writes the PyTorch parity fixtures under Tests/Fixtures/parity/ (run from the repo root).

Needs a virtual environment with `torch transformers gguf safetensors` (never CI):
    python3 -m venv .venv && .venv/bin/pip install torch transformers gguf safetensors
    scripts/fetch-models && .venv/bin/python scripts/parity/make_fixtures.py

Writes
  tiny_llama/model.safetensors, config.json   a random 2-layer Llama (GQA, untied head)
  tiny_llama/reference.json                   token ids, labels, logits, loss and gradients
  smollm2.json                                SmolLM2 GGUF: token ids and top-20 logits per position
  minilm.json                                 all-MiniLM-L6-v2: token ids and sentence embeddings
  smollm2_sink.json                           SmolLM2: per-head sink values on harmful/safe pairs
"""
import json
import os
import sys

import torch

OUT = os.path.join("Tests", "Fixtures", "parity")
CACHE = os.environ.get("SCALPEL_CACHE", os.path.expanduser("~/.cache/scalpel"))
SMOL_DIR = os.path.join(CACHE, "models", "smollm2")
SMOL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM_DIR = os.path.join(CACHE, "models", "minilm")
# The data directory as the tools find it: $SCALPEL_DATA, else this checkout's data/.
DATA = os.environ.get("SCALPEL_DATA") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "data")
torch.manual_seed(0)


def dump(name, value):
    path = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(value, f, indent=1)
    print("wrote", path)


def tiny_llama():
    from safetensors.torch import save_file
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, rope_theta=10000.0, rms_norm_eps=1e-5,
        tie_word_embeddings=False, max_position_embeddings=128, attention_bias=False,
        mlp_bias=False)
    model = LlamaForCausalLM(config).float().eval()
    with torch.no_grad():  # norms away from 1 so they matter
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1 + 0.2 * torch.randn_like(p))
    directory = os.path.join(OUT, "tiny_llama")
    os.makedirs(directory, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              os.path.join(directory, "model.safetensors"))
    config.to_json_file(os.path.join(directory, "config.json"))
    ids = torch.randint(0, 64, (2, 9))
    labels = ids.clone()
    labels[0, :3] = -100  # prompt positions do not count
    labels[1, 7:] = -100
    out = model(input_ids=ids, labels=labels)
    out.loss.backward()
    watched = ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
               "model.layers.1.self_attn.k_proj.weight", "model.layers.1.mlp.down_proj.weight",
               "model.layers.0.input_layernorm.weight", "model.norm.weight", "lm_head.weight"]
    params = dict(model.named_parameters())
    dump("tiny_llama/reference.json", {
        "tokens": ids.tolist(), "labels": labels.tolist(),
        "logits": out.logits.detach().tolist(), "loss": out.loss.item(),
        "gradients": {k: params[k].grad.flatten().tolist() for k in watched},
    })


PROMPTS = [
    "The capital of France is",
    "1234 + 5678 = 6912. Numbers like 3.14159 and 2,718 are",
    "Swift is a programming language 🚀 créé par Apple; 東京 is a city.",
]
CHATS = ["What is the capital of France?", "Give me three tips for staying healthy."]


def smollm2():
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(SMOL_DIR, gguf_file=SMOL_FILE)
    model = AutoModelForCausalLM.from_pretrained(
        SMOL_DIR, gguf_file=SMOL_FILE, dtype=torch.float32, attn_implementation="eager").eval()
    cases = []
    texts = [(p, False) for p in PROMPTS]
    for c in CHATS:
        text = tok.apply_chat_template([{"role": "user", "content": c}], tokenize=False,
                                       add_generation_prompt=True)
        texts.append((text, True))
    for text, chat in texts:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits[0]
        top = torch.topk(logits, 20, dim=-1)
        cases.append({"text": text, "chat": chat, "tokens": ids,
                      "top_ids": top.indices.tolist(), "top_logits": top.values.tolist()})
    dump("smollm2.json", {"cases": cases})
    return tok, model


def smollm2_sink(tok, model):
    import random
    random.seed(43)
    data = DATA
    harmful = [json.loads(l) for l in open(os.path.join(data, "beavertails", "harmful_qa_30k_train_first200_unsafe.jsonl"))]
    safe = [json.loads(l) for l in open(os.path.join(data, "refusals", "safety_tuned_llamas_safety_only.jsonl"))]
    pairs = []
    for i in range(3):
        h = harmful[i]
        s = safe[i]
        pairs.append(((h["prompt"], h["response"]), (s["instruction"], s["output"])))

    def fmt(q, a):  # ChatML turns, no system message
        return f"<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n{a}<|im_end|>\n"

    def alphas(text):
        ids = tok(text, add_special_tokens=False)["input_ids"][:128]
        with torch.no_grad():
            out = model(input_ids=torch.tensor([ids]), output_attentions=True)
        # per layer, per head: mean over query positions 1.. of attention on key 0
        return ids, [[a[0, h, 1:, 0].mean().item() for h in range(a.shape[1])] for a in out.attentions]

    cases = []
    for (hq, ha), (sq, sa) in pairs:
        hid, halpha = alphas(fmt(hq, ha))
        sid, salpha = alphas(fmt(sq, sa))
        cases.append({"harmful_tokens": hid, "safe_tokens": sid, "harmful_alpha": halpha,
                      "safe_alpha": salpha})
    dump("smollm2_sink.json", {"cases": cases})


SENTENCES = ["A man is eating food.", "The new movie is awesome!",
             "How do I bake bread at home?", "Ünïcödé text, CJK 漢字 and numbers 42."]


def minilm():
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(MINILM_DIR)
    model = AutoModel.from_pretrained(MINILM_DIR, dtype=torch.float32).eval()
    batch = tok(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        states = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    emb = torch.nn.functional.normalize(pooled, p=2, dim=1)
    dump("minilm.json", {"sentences": SENTENCES, "tokens": batch["input_ids"].tolist(),
                         "attention_mask": batch["attention_mask"].tolist(),
                         "embeddings": emb.tolist()})


if __name__ == "__main__":
    which = sys.argv[1:] or ["tiny", "smollm2", "minilm"]
    if "tiny" in which:
        tiny_llama()
    if "smollm2" in which:
        tok, model = smollm2()
        smollm2_sink(tok, model)
    if "minilm" in which:
        minilm()
