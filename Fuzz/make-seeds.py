#!/usr/bin/env python3
"""Writes the seed corpora Fuzz/corpus/TARGET/: small valid files of each format and a few
malformed ones (truncated, absurd sizes, deep nesting). Run from the repository root."""
import json
import os
import shutil
import struct

root = "Fuzz/corpus"


def seed(target, name, data):
    os.makedirs(f"{root}/{target}", exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(f"{root}/{target}/{name}", "wb") as f:
        f.write(data)


# IR text: the examples, a pass fixture, and malformed variants.
for path in ["examples/architecture.ir", "examples/mlp/mlp.ir", "examples/mlp/data.ir",
             "Tests/Fixtures/passes/sink_divergence_toy.ir"]:
    seed("ir", os.path.basename(path), open(path, "rb").read())
arch = open("examples/architecture.ir").read()
seed("ir", "truncated.ir", arch[: len(arch) // 2])
seed("ir", "nested.ir", "graph @g() -> () {\n  %c = constant {value = " + "[" * 300 + "]" * 300
     + "} : f32[]\n  return\n}\n")
seed("ir", "huge-shape.ir", "graph @g(%x: f32[4611686018427387904, 4]) -> () {\n  return\n}\n")
seed("ir", "reshape.ir", "graph @g(%x: f32[2,3]) -> (y: f32[3,2]) {\n"
     "  %y = reshape %x {shape = [3, 2]} : f32[3,2]\n  return %y\n}\n")

# npy: the NumPy-written fixtures, a truncated one and an absurd header.
for name in ["format_v1_b1.npy", "format_v1_f4.npy", "format_v2_f8.npy", "format_v3_i4.npy",
             "format_v1_i8_scalar.npy", "format_v1_f4_empty.npy"]:
    seed("npy", name, open(f"Tests/Fixtures/npy/{name}", "rb").read())
f4 = open("Tests/Fixtures/npy/format_v1_f4.npy", "rb").read()
seed("npy", "truncated.npy", f4[:-5])
header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"
header += b" " * (-(10 + len(header) + 1) % 64) + b"\n"
seed("npy", "absurd.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header)


# safetensors: F32, BF16 and I64 tensors; truncated; offsets past the end.
def safetensors(entries, data, metadata=None):
    header = dict(entries)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


valid = safetensors({
    "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
    "b": {"dtype": "BF16", "shape": [2], "data_offsets": [16, 20]},
    "c": {"dtype": "I64", "shape": [], "data_offsets": [20, 28]},
}, struct.pack("<4f", 1, 2, 3, 4) + b"\x80\x3f\x00\x40" + struct.pack("<q", 7), {"format": "pt"})
seed("safetensors", "valid.safetensors", valid)
seed("safetensors", "truncated.safetensors", valid[:-6])
seed("safetensors", "past-end.safetensors", safetensors(
    {"a": {"dtype": "F16", "shape": [1 << 40], "data_offsets": [0, 1 << 41]}}, b""))


# GGUF: version 3, metadata of several types, an F32 and a Q8_0 tensor.
def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf(metadata, tensors, data):
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, (kind, payload) in metadata:
        out += gguf_string(key) + struct.pack("<I", kind) + payload
    for name, dims, kind, offset in tensors:
        out += gguf_string(name) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", kind, offset)
    out += b"\0" * (-len(out) % 32)
    return out + data


metadata = [
    ("general.architecture", (8, gguf_string("llama"))),
    ("llama.context_length", (4, struct.pack("<I", 64))),
    ("llama.rope.freq_base", (6, struct.pack("<f", 10000.0))),
    ("tokenizer.ggml.tokens", (9, struct.pack("<IQ", 8, 2) + gguf_string("a") + gguf_string("b"))),
    ("general.flag", (7, b"\x01")),
]
q8 = struct.pack("<e", 0.5) + bytes(range(32))
data = struct.pack("<4f", 1, 2, 3, 4) + b"\0" * 16 + q8
seed("gguf", "valid.gguf", gguf(metadata, [("t", [2, 2], 0, 0), ("q", [32], 8, 32)], data))
seed("gguf", "truncated.gguf", gguf(metadata, [("t", [2, 2], 0, 0)], data)[:-10])
seed("gguf", "absurd-count.gguf", b"GGUF" + struct.pack("<IQQ", 3, 1 << 62, 0))

# tokenizer.json: a tiny byte-level BPE, a tiny WordPiece, and deep nesting.
bpe = {
    "added_tokens": [{"id": 4, "content": "<|im_start|>", "special": True}],
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False},
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3},
              "merges": ["a b"], "unk_token": None},
}
seed("tokenizer", "bpe.json", json.dumps(bpe))
wordpiece = {
    "normalizer": {"type": "BertNormalizer", "lowercase": True},
    "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
              "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "hello": 4, "##lo": 5}},
}
seed("tokenizer", "wordpiece.json", json.dumps(wordpiece))
seed("tokenizer", "nested.json", "[" * 1000 + "]" * 1000)

# Datasets: JSONL instruction pairs, a BeaverTails array, HarmBench CSV, SST-2 TSV.
seed("data", "pairs.jsonl", '{"instruction": "Say hi", "input": "", "output": "hi"}\n'
     '{"instruction": "Add", "input": "1 2", "output": "3"}\n')
seed("data", "beavertails.json", json.dumps([{"prompt": "p", "response": "r", "is_safe": True,
                                              "category": {"a": False}}]))
seed("data", "harmbench.csv", "Behavior,FunctionalCategory,SemanticCategory,Tags,ContextString,"
     "BehaviorID\n\"Do a \"\"thing\"\"\",standard,misinformation,,,a\n")
seed("data", "sst2.tsv", "label\tsentence\n0\tbad film\n1\tgood film\n")
seed("data", "broken.jsonl", '{"instruction": "x", "output": \n[1, 2\n')
