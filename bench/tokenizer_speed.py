"""lmkit's from-scratch byte-level BPE against Hugging Face `tokenizers`: training and encoding speed.

    LMKIT_DATA=../shared/data python bench/tokenizer_speed.py             # vocabulary 512, one run
    LMKIT_DATA=../shared/data python bench/tokenizer_speed.py --runs 3 --vocab 512 1024

Both learn byte-level BPE merges with GPT-2's pre-tokenization on the training split of Tiny Shakespeare
(1.0 M characters) and encode the validation split; the table gives seconds (median), the speed ratio and
the tokens per character of each (compression: the two should be close, being the same algorithm).
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time

import lmkit


def hf_train(text: str, vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([text], trainer=trainer)
    return tok


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--vocab", nargs="+", type=int, default=[512])
    args = ap.parse_args()
    text = lmkit.load_text("tinyshakespeare", progress=False)
    train_text, val_text = lmkit.train_val_split(text, 0.9)
    print(f"# {platform.processor() or platform.machine()}; train {len(train_text):,} characters, "
          f"encode {len(val_text):,}")
    print("| vocabulary | step | lmkit (s) | tokenizers (s) | ratio | lmkit tokens/char | tokenizers tokens/char |")
    print("|---|---|---|---|---|---|---|")
    for v in args.vocab:
        t = {"lt": [], "ht": [], "le": [], "he": []}
        for _ in range(args.runs):
            ours, s = timed(lmkit.BPETokenizer.train, train_text, v)
            t["lt"].append(s)
            theirs, s = timed(hf_train, train_text, v)
            t["ht"].append(s)
            ids, s = timed(ours.encode, val_text)
            t["le"].append(s)
            enc, s = timed(theirs.encode, val_text)
            t["he"].append(s)
            assert ours.decode(ids) == val_text and theirs.decode(enc.ids) == val_text
        m = {k: statistics.median(x) for k, x in t.items()}
        ours_tpc, theirs_tpc = len(ids) / len(val_text), len(enc.ids) / len(val_text)
        print(f"| {v} | train | {m['lt']:.2f} | {m['ht']:.2f} | {m['lt'] / m['ht']:.0f}x | "
              f"{ours_tpc:.3f} | {theirs_tpc:.3f} |")
        print(f"| {v} | encode | {m['le']:.2f} | {m['he']:.3f} | {m['le'] / m['he']:.0f}x | | |", flush=True)


if __name__ == "__main__":
    main()
