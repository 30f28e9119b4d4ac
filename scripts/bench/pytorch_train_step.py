#!/usr/bin/env python3
"""The PyTorch side of `scalpel bench train-step`: the same model and step, measured the same way.

Needs a virtual environment with torch and transformers (never CI):
    .venv/bin/python scripts/bench/pytorch_train_step.py --config tiny [--surgery] [--threads 2]

The "tiny" model of docs/PERFORMANCE.md: Llama, vocab 8192, d_model 256, 4 layers, 4 heads,
SwiGLU 688, untied head; batch 8 x 128 tokens; AdamW (lr 1e-4). With --surgery, each step also
runs one harmful and one safe 128-token sequence with attention outputs and adds
lambda * mean ReLU(alpha_harmful - alpha_safe) (sink 0) to the loss, as the reference trainer.
Prints one JSON object: median and minimum step ms over the timed steps, GFLOP/s, peak RSS.
"""
import argparse
import json
import resource
import statistics
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM

CONFIGS = {
    "tiny": dict(vocab_size=8192, hidden_size=256, intermediate_size=688, num_hidden_layers=4,
                 num_attention_heads=4, num_key_value_heads=4),
    "smollm2": dict(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                    num_attention_heads=9, num_key_value_heads=3, rope_theta=100000.0,
                    tie_word_embeddings=True),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="tiny", choices=sorted(CONFIGS))
    ap.add_argument("--surgery", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    spec = dict(CONFIGS[args.config])
    spec.setdefault("tie_word_embeddings", False)
    config = LlamaConfig(**spec, max_position_embeddings=2048, rms_norm_eps=1e-5)
    config._attn_implementation = "eager"
    model = LlamaForCausalLM(config).float().train()
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)
    ids = torch.randint(0, config.vocab_size, (args.batch, args.tokens))
    harmful = torch.randint(0, config.vocab_size, (1, args.tokens))
    safe = torch.randint(0, config.vocab_size, (1, args.tokens))

    def sink_values(x):
        out = model.model(input_ids=x, output_attentions=True)
        return torch.stack([a[0, :, 1:, 0].mean(dim=-1) for a in out.attentions])

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model(input_ids=ids, labels=ids).loss
        if args.surgery:
            loss = loss + 300 * torch.relu(sink_values(harmful) - sink_values(safe)).mean()
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    tokens = args.batch * args.tokens
    flops = 6 * params * tokens  # forward + backward, dense approximation
    median = statistics.median(times)
    print(json.dumps({
        "framework": f"pytorch {torch.__version__}", "config": args.config, "surgery": args.surgery,
        "threads": args.threads, "batch": args.batch, "tokens": args.tokens, "parameters": params,
        "steps": args.steps, "median_ms": round(median, 2), "min_ms": round(min(times), 2),
        "gflops_per_s": round(flops / (median / 1000) / 1e9, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
