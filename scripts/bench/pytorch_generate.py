#!/usr/bin/env python3
"""The PyTorch side of `scalpel bench generate`: transformers' greedy `generate`, same prompts.

Needs a virtual environment with torch, transformers, gguf and accelerate (never CI;
`python3 -m venv /work/venv-torch && /work/venv-torch/bin/pip install torch transformers gguf
accelerate safetensors`):
    /work/venv-torch/bin/python scripts/bench/pytorch_generate.py --batch 32 --new-tokens 128

The model is the GGUF `scalpel bench generate --model smollm2` reads, dequantized by
transformers. Every row's prompt is the token ids of the same fixed English text as Scalpel's
bench, repeated to --prompt-tokens; generation is greedy and ignores stop tokens (exactly
--new-tokens per row), with the KV cache. A run is timed twice: the prefill alone (one new
token) and the whole generation; decode tokens/s is rows x (new tokens - 1) over the
difference. Prints one JSON object with the same keys as Scalpel's.
"""
import argparse
import json
import os
import resource
import statistics
import time

import torch
from transformers import AutoTokenizer, LlamaForCausalLM

CACHE = os.environ.get("SCALPEL_CACHE", os.path.expanduser("~/.cache/scalpel"))
SMOL = os.path.join(CACHE, "models", "smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
TEXT = "The quick brown fox jumps over the lazy dog while the compiler fuses kernels. "


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gguf", default=SMOL, help="the model file (default: SmolLM2's GGUF)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--prompt-tokens", type=int, default=32)
    ap.add_argument("--new-tokens", type=int, default=32)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--attention", choices=["sdpa", "eager"], default="sdpa")
    args = ap.parse_args()
    if args.new_tokens < 2:
        ap.error("--new-tokens must be at least 2")
    torch.set_num_threads(args.threads)
    directory, name = os.path.split(os.path.abspath(args.gguf))
    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
    model = LlamaForCausalLM.from_pretrained(
        directory, gguf_file=name, dtype=torch.float32,
        attn_implementation=args.attention).eval()
    load_seconds = time.perf_counter() - start
    ids = tokenizer(TEXT, add_special_tokens=False)["input_ids"] or [0]
    prompt = [ids[i % len(ids)] % model.config.vocab_size for i in range(args.prompt_tokens)]
    input_ids = torch.tensor([prompt] * args.batch)
    mask = torch.ones_like(input_ids)

    def generate(new):
        with torch.inference_mode():
            return model.generate(
                input_ids=input_ids, attention_mask=mask, max_new_tokens=new, min_new_tokens=new,
                do_sample=False, num_beams=1, pad_token_id=tokenizer.eos_token_id or 0)

    prefill, totals, rates = [], [], []
    for i in range(args.warmup + args.runs):
        t0 = time.perf_counter()
        generate(1)
        t1 = time.perf_counter()
        out = generate(args.new_tokens)
        t2 = time.perf_counter()
        assert out.shape == (args.batch, args.prompt_tokens + args.new_tokens), out.shape
        if i < args.warmup:
            continue
        first = t1 - t0
        prefill.append(first * 1000)
        totals.append((t2 - t1) * 1000)
        rates.append(args.batch * (args.new_tokens - 1) / max(t2 - t1 - first, 1e-9))
    print(json.dumps({
        "benchmark": "generate", "framework": f"transformers {__import__('transformers').__version__}"
        f" / pytorch {torch.__version__}", "model": args.gguf, "attention": args.attention,
        "threads": args.threads, "batch": args.batch, "prompt_tokens": args.prompt_tokens,
        "new_tokens": args.new_tokens, "warmup": args.warmup, "runs": args.runs,
        "prefill_median_ms": round(statistics.median(prefill), 2),
        "prefill_min_ms": round(min(prefill), 2),
        "total_median_ms": round(statistics.median(totals), 2),
        "total_min_ms": round(min(totals), 2),
        "decode_tokens_per_second_median": round(statistics.median(rates), 2),
        "decode_tokens_per_second_max": round(max(rates), 2),
        "load_seconds": round(load_seconds, 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
