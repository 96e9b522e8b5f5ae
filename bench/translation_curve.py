"""Train chapter 17's English->Chinese encoder-decoder for longer and print the test BLEU along the way.

    LMKIT_DATA=../shared/data python bench/translation_curve.py --seconds 600            # the chapter's model
    LMKIT_DATA=../shared/data python bench/translation_curve.py --seconds 3600 --n-embd 256 --n-layer 3 \\
        --n-head 8 --dropout 0.1 --batch-size 64 --lr 1e-3                              # a larger one

Data, split, tokenizers, model and training loop are those of chapters/part5/machine_translation.ipynb
(Tatoeba pairs converted to simplified characters, split by English sentence with seed 0: 1,000 test
sentences with all their translations as references, 500 dev, the rest for training; English BPE with
2,000 tokens, Chinese characters; AdamW, warmup, cosine decay). The number of steps is fitted to the time
budget from the speed of the first steps, and the learning rate follows the cosine schedule over those
steps; at ``--evals`` evenly spaced points the script prints the elapsed time, the passes over the data,
the dev loss and the greedy test BLEU and chrF (sacrebleu, ``tokenize="zh"``). The translation-memory
baseline of the chapter is printed first. Timings vary with the machine; the BLEU at a given step does not
(up to floating-point rounding).
"""
from __future__ import annotations

import argparse
import collections
import math
import platform
import random
import re
import time

import sacrebleu
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from snownlp import normal

import lmkit
from lmkit.data import pad_batch
from lmkit.seq2seq import EncoderDecoder
from lmkit.training import configure_optimizer, lr_schedule


def key(en: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", en.lower()).split())


def load():
    """The chapter's data: (train pairs, dev pairs, test English, test references)."""
    pairs = lmkit.datasets.load_translation_pairs(progress=False)
    by_en: dict[str, list[str]] = collections.defaultdict(list)
    for en, zh in pairs:
        zh = normal.zh2hans(zh)
        if zh not in by_en[en]:
            by_en[en].append(zh)
    groups = collections.defaultdict(list)
    for en in by_en:
        groups[key(en)].append(en)
    keys = sorted(groups)
    random.Random(0).shuffle(keys)
    split = {s: [en for k in ks for en in groups[k]]
             for s, ks in (("test", keys[:1000]), ("dev", keys[1000:1500]), ("train", keys[1500:]))}
    train = [(en, zh) for en in split["train"] for zh in by_en[en]]
    dev = [(en, zh) for en in split["dev"] for zh in by_en[en]]
    return train, dev, split["test"], [by_en[en] for en in split["test"]], by_en


def streams(refs):
    k = max(len(r) for r in refs)
    return [[r[i] if i < len(r) else None for r in refs] for i in range(k)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=600, help="training-time budget (default 600)")
    ap.add_argument("--evals", type=int, default=6, help="evaluation points (default 6)")
    ap.add_argument("--n-embd", type=int, default=64)
    ap.add_argument("--n-layer", type=int, default=2)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1, as the chapter)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dev_ = torch.device(a.device)
    print(f"machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{a.threads} thread(s), device {dev_}")

    train_pairs, dev_pairs, test_en, test_refs, by_en = load()
    train_en = sorted({en for en, _ in train_pairs})
    tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(train_en)
    nearest = (tfidf.transform(test_en) @ tfidf.transform(train_en).T).toarray().argmax(1)
    memory_hyps = [by_en[train_en[j]][0] for j in nearest]
    tm = sacrebleu.corpus_bleu(memory_hyps, streams(test_refs), tokenize="zh").score
    print(f"translation memory baseline: test BLEU {tm:.1f}")

    tok_en = lmkit.BPETokenizer.train("\n".join(en for en, _ in train_pairs), 2000, specials=["<pad>"])
    tok_zh = lmkit.CharTokenizer.train("".join(zh for _, zh in train_pairs),
                                       specials=["<pad>", "<bos>", "<eos>", "<unk>"])
    PAD_EN = tok_en.special_id("<pad>")
    PAD, BOS, EOS, UNK = (tok_zh.special_id(s) for s in ("<pad>", "<bos>", "<eos>", "<unk>"))

    def enc_zh(text):
        return [tok_zh.stoi.get(c, UNK) for c in text]

    def dec_zh(ids):
        ids = ids[: ids.index(EOS)] if EOS in ids else ids
        return tok_zh.decode([i for i in ids if i < PAD])

    data = [(tok_en.encode(en), enc_zh(zh)) for en, zh in train_pairs]
    data = [(s, t) for s, t in data if len(s) <= 20 and len(t) <= 30]
    dev_data = [(tok_en.encode(en), enc_zh(zh)) for en, zh in dev_pairs]

    def make_batch(batch):
        src, src_mask = pad_batch([s for s, _ in batch], PAD_EN)
        dec_in, _ = pad_batch([[BOS] + t for _, t in batch], PAD)
        targets, tgt_mask = pad_batch([t + [EOS] for _, t in batch], PAD)
        return [x.to(dev_) for x in (src, src_mask, dec_in, targets.masked_fill(~tgt_mask, -1))]

    lmkit.set_seed(a.seed)
    cfg = dict(block_size=64, n_layer=a.n_layer, n_head=a.n_head, n_embd=a.n_embd, dropout=a.dropout)
    model = EncoderDecoder(lmkit.GPTConfig(vocab_size=tok_en.vocab_size, **cfg),
                           lmkit.GPTConfig(vocab_size=tok_zh.vocab_size, **cfg)).to(dev_)
    print(f"model: {sum(p.numel() for p in model.parameters()):,} parameters, {len(data):,} training pairs")

    @torch.no_grad()
    def evaluate() -> tuple[float, float, float]:
        model.eval()
        total = n = 0
        for i in range(0, len(dev_data), 256):
            src, src_mask, dec_in, targets = make_batch(dev_data[i: i + 256])
            k = int((targets >= 0).sum())
            total += model(src, dec_in, src_mask, targets)[1].item() * k
            n += k
        hyps = []
        for i in range(0, len(test_en), 250):
            sents = test_en[i: i + 250]
            src, src_mask = pad_batch([tok_en.encode(s)[:64] for s in sents], PAD_EN)
            src, src_mask = src.to(dev_), src_mask.to(dev_)
            memory, cache = model.encode(src, src_mask), model.new_cache()
            cur = torch.full((len(sents), 1), BOS, device=dev_)
            done = torch.zeros(len(sents), dtype=torch.bool, device=dev_)
            out = []
            for _ in range(60):
                nxt = model.decode(cur, memory, src_mask, kv_cache=cache)[:, -1].argmax(-1)
                nxt[done] = EOS
                out.append(nxt)
                done |= nxt == EOS
                if done.all():
                    break
                cur = nxt[:, None]
            hyps += [dec_zh(r) for r in torch.stack(out, 1).tolist()]
        model.train()
        st = streams(test_refs)
        return (total / n, sacrebleu.corpus_bleu(hyps, st, tokenize="zh").score,
                sacrebleu.corpus_chrf(hyps, st).score)

    gen = torch.Generator().manual_seed(a.seed)
    opt = configure_optimizer(model, lr=a.lr, weight_decay=0.1)
    model.train()

    def step(it: int, max_iters: int) -> None:
        for group in opt.param_groups:
            group["lr"] = lr_schedule(it, lr=a.lr, min_lr=a.lr / 10, warmup_iters=a.warmup, max_iters=max_iters)
        idx = torch.randint(len(data), (a.batch_size,), generator=gen).tolist()
        src, src_mask, dec_in, targets = make_batch([data[i] for i in idx])
        loss = model(src, dec_in, src_mask, targets)[1]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    calib, t0 = 30, time.perf_counter()
    for it in range(calib):  # the first steps also measure the speed (warmup: lr still tiny)
        step(it, 10 ** 9)
    per_step = (time.perf_counter() - t0) / calib
    max_iters = max(calib + a.evals, int(a.seconds / per_step))
    marks = {round(max_iters * (j + 1) / a.evals) for j in range(a.evals)}
    print(f"{1000 * per_step:.0f} ms per step: {max_iters:,} steps of {a.batch_size} pairs in about "
          f"{a.seconds:.0f} s ({max_iters * a.batch_size / len(data):.1f} passes)")
    print(f"{'step':>7} {'train s':>8} {'passes':>7} {'dev loss':>9} {'test BLEU':>10} {'chrF':>6}")
    train_s = per_step * calib
    for it in range(calib, max_iters):
        t1 = time.perf_counter()
        step(it, max_iters)
        train_s += time.perf_counter() - t1
        if it + 1 in marks:
            loss, bleu, chrf = evaluate()
            passes = (it + 1) * a.batch_size / len(data)
            print(f"{it + 1:7d} {train_s:8.0f} {passes:7.1f} {loss:9.3f} {bleu:10.1f} {chrf:6.1f}", flush=True)
    print(f"(translation memory: BLEU {tm:.1f}; reported for a 3-layer Transformer after about an hour on a "
          f"CPU: about 23)")
    assert math.isfinite(train_s)


if __name__ == "__main__":
    main()
