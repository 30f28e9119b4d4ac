#!/usr/bin/env python3
"""The PyTorch side of `scalpel bench train-step`: the same model and step, measured the same way.

Needs a virtual environment with torch, transformers, gguf and accelerate (never CI;
`python3 -m venv /work/venv-torch && /work/venv-torch/bin/pip install torch transformers gguf
accelerate safetensors`):
    /work/venv-torch/bin/python scripts/bench/pytorch_train_step.py --config tiny [--surgery]

The "tiny" model of docs/PERFORMANCE.md: Llama, vocab 8192, d_model 256, 4 layers, 4 heads,
SwiGLU 688, untied head; "smollm2" is SmolLM2-135M. Batch 8 x 128 tokens by default; AdamW
(lr 1e-4). With --surgery, each step also runs one harmful and one safe 128-token sequence with
attention probabilities and adds lambda * mean ReLU(alpha_harmful - alpha_safe) (sink 0) to the
loss, as Surgery does; this needs eager attention (the probabilities), which is the default
with --surgery, SDPA otherwise (--attention chooses).

Weights: --weights FILE.safetensors (Hugging Face names, as `scalpel bench train-step
--weights` reads) or a .gguf, dequantized by transformers (its config replaces --config's);
without it, transformers' random initialization (seed 0). --save-weights FILE writes the
initial weights as safetensors and exits, so both sides can start from the same file.

Prints one JSON object: median and minimum step ms over the timed steps, GFLOP/s, peak RSS.
"""
import argparse
import json
import os
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


def load_model(args):
    """The model in train mode with the requested attention and weights."""
    if args.weights and args.weights.endswith(".gguf"):
        directory, name = os.path.split(os.path.abspath(args.weights))
        return LlamaForCausalLM.from_pretrained(
            directory, gguf_file=name, dtype=torch.float32,
            attn_implementation=args.attention).train()
    spec = dict(CONFIGS[args.config])
    spec.setdefault("tie_word_embeddings", False)
    config = LlamaConfig(**spec, max_position_embeddings=2048, rms_norm_eps=1e-5)
    config._attn_implementation = args.attention
    model = LlamaForCausalLM(config).float().train()
    if args.weights:
        from safetensors.torch import load_file
        state = load_file(args.weights)
        missing, unexpected = model.load_state_dict(state, strict=False)
        # A tied head has no tensor of its own in the file.
        missing = [m for m in missing if not (config.tie_word_embeddings and m == "lm_head.weight")]
        if missing or unexpected:
            raise SystemExit(f"{args.weights}: missing {missing}, unexpected {unexpected}")
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="tiny", choices=sorted(CONFIGS))
    ap.add_argument("--surgery", action="store_true")
    ap.add_argument("--attention", choices=["sdpa", "eager"],
                    help="attention implementation (default: eager with --surgery, else sdpa)")
    ap.add_argument("--weights", help="initial weights: a .safetensors or .gguf file")
    ap.add_argument("--save-weights", help="write the initial weights here and exit")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args()
    if args.attention is None:
        args.attention = "eager" if args.surgery else "sdpa"
    if args.surgery and args.attention != "eager":
        ap.error("--surgery needs the attention probabilities: --attention eager")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = load_model(args)
    if args.save_weights:
        from safetensors.torch import save_file
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        if model.config.tie_word_embeddings:
            state.pop("lm_head.weight", None)
        save_file(state, args.save_weights)
        return
    config = model.config
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
    losses = []
    for _ in range(args.steps):
        start = time.perf_counter()
        losses.append(step())
        times.append((time.perf_counter() - start) * 1000)
    tokens = args.batch * args.tokens
    flops = 6 * params * tokens  # forward + backward, dense approximation
    median = statistics.median(times)
    print(json.dumps({
        "framework": f"pytorch {torch.__version__}", "config": args.config, "surgery": args.surgery,
        "attention": args.attention, "weights": args.weights or "random",
        "threads": args.threads, "batch": args.batch, "tokens": args.tokens, "parameters": params,
        "steps": args.steps, "median_ms": round(median, 2), "min_ms": round(min(times), 2),
        "gflops_per_s": round(flops / (median / 1000) / 1e9, 1),
        "loss_last": round(losses[-1], 4),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
