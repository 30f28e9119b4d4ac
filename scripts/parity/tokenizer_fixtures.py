#!/usr/bin/env python3
"""Writes Tests/Fixtures/tokenizers.json: sentences and the ids the reference tokenizers give.

Run with a Python that has `transformers`, `tokenizers` and `gguf` (e.g. /work/venv-parity):

    python scripts/parity/tokenizer_fixtures.py

- SmolLM2: transformers builds the fast tokenizer from the GGUF metadata. Its GGUF converter
  gives a ByteLevel-only pre-tokenizer, dropping the Digits(individual_digits=True) step of
  SmolLM2's own tokenizer.json (GGUF `tokenizer.ggml.pre = smollm`), so the pre-tokenizer is set
  back to Digits + ByteLevel here; both id lists are recorded ("ids" with the digit split,
  "ids_gguf_converter" as transformers' GGUF converter gives them).
- all-MiniLM-L6-v2: `tokenizers` loads its tokenizer.json; the padding/truncation stored in that
  file (128) are turned off, truncation to 512 is set as BERT's model maximum.
Models are found in ${SCALPEL_CACHE:-~/.cache/scalpel}/models/NAME/ (scripts/fetch-models).
"""
import json
import os
import sys

from tokenizers import Tokenizer, pre_tokenizers
from transformers import AutoTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.environ.get("SCALPEL_CACHE", os.path.expanduser("~/.cache/scalpel"))
SMOLLM = os.path.join(CACHE, "models", "smollm2")
MINILM = os.path.join(CACHE, "models", "minilm")

SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

SENTENCES = [
    "Hello world",
    "Hello, world! How are you today?",
    "I'm sure they'll say it's fine, we've done what you'd do.",
    "The year 2024 had 366 days; pi is 3.14159.",
    "abc123def 4567 x1 -42 +3.5e10",
    "  leading spaces and   inner   runs and trailing   ",
    "line one\nline two\n\nline four\r\n\ttabbed",
    "Emoji: 😀 👍🏽 👨‍👩‍👧‍👦 ❤️ 🇫🇷",
    "CJK: 你好，世界！ 日本語のテキスト 한국어 문장",
    "Accents: café naïve résumé Ångström façade Œuvre",
    "Combining: e\u0301 a\u0308 n\u0303 \u0915\u093f",
    "Control\u0001chars\u0007and\u007fdel\u200bzero-width",
    "Bytes without a SmolLM2 token: a\u0004b\u0006c\u0013d\u001de \u0000\u001f",
    "Punctuation!!! ??? ... --- (parens) [brackets] {braces} @#$%^&*",
    "Mixed CASE Words, UPPERCASE and lowercase; CamelCaseIdentifier snake_case_name",
    "https://example.com/path?query=1&x=2 user@example.org",
    "def f(x):\n    return x ** 2  # comment\n",
    "Ünïcödé Straße İstanbul ΣΊΣΥΦΟΣ Ελληνικά русский текст",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "a" * 120,
    "Numbers: ١٢٣ ٤٥ ⅷ ½ ²³",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n2+2 = 4.<|im_end|>\n",
    "[CLS] text with [SEP] and [MASK] tokens [UNK]",
    "",
    " ",
    "\n",
]

CHAT = [
    ("How do I bake bread?", "Mix flour, water, yeast and salt; knead; let it rise; bake at 230°C."),
    ("Write a haiku about 3 cats 🐱", "Three cats in the sun\nwhiskers twitch at passing birds\nnap resumes at noon"),
]


def chat_text(user, answer, system):
    text = ""
    if system is not None:
        text += f"<|im_start|>system\n{system}<|im_end|>\n"
    text += f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
    if answer is not None:
        text += f"{answer}<|im_end|>"
    return text


def main():
    gguf = AutoTokenizer.from_pretrained(SMOLLM, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")
    converted = Tokenizer.from_str(gguf.backend_tokenizer.to_str())
    smollm = Tokenizer.from_str(gguf.backend_tokenizer.to_str())
    smollm.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    bert = Tokenizer.from_file(os.path.join(MINILM, "tokenizer.json"))
    bert.no_padding()
    bert.enable_truncation(512)

    texts = list(SENTENCES)
    for user, answer in CHAT:
        texts.append(chat_text(user, None, SYSTEM))
        texts.append(chat_text(user, answer, None))
        texts.append(chat_text(user, answer, SYSTEM))
    long_text = " ".join(["token"] * 600)

    bpe_cases = []
    for text in texts:
        bpe_cases.append({
            "text": text,
            "ids": smollm.encode(text, add_special_tokens=False).ids,
            "ids_gguf_converter": converted.encode(text, add_special_tokens=False).ids,
        })
    wordpiece_cases = []
    for text in texts + [long_text]:
        enc = bert.encode(text)
        wordpiece_cases.append({"text": text, "ids": enc.ids, "tokens": enc.tokens})

    out = {
        "generator": "scripts/parity/tokenizer_fixtures.py",
        "smollm2_bpe": bpe_cases,
        "minilm_wordpiece": wordpiece_cases,
    }
    path = os.path.join(ROOT, "Tests", "Fixtures", "tokenizers.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(bpe_cases)} BPE and {len(wordpiece_cases)} WordPiece cases")
    differ = sum(c["ids"] != c["ids_gguf_converter"] for c in bpe_cases)
    print(f"{differ} BPE cases differ between the digit-splitting and the converter tokenizer",
          file=sys.stderr)


if __name__ == "__main__":
    main()
