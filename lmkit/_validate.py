"""Input checks for lmkit's public functions, kept apart from the code that teaches.

The chapters print lmkit's functions to read them; those functions hold the algorithm and one line
that calls a check from here. Every check raises ``ValueError`` with a message of one form::

    <function>: <argument> must be <what>, got <what it got>[; <what to do>]

Checks run once, at the public entry points (a model's forward pass, ``get_batch``, a tokenizer's
``encode``/``decode``, ``generate``, ``train``, data loading), never inside a loop over tokens, and
never force a GPU to synchronise: the range of token ids is checked where the ids live on the CPU.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor


def fail(fn: str, message: str) -> None:
    """Raise the one kind of error lmkit raises for bad input."""
    raise ValueError(f"{fn}: {message}")


def _got(x: object) -> str:
    return f"shape {tuple(x.shape)}" if isinstance(x, Tensor) else type(x).__name__


def _compiling() -> bool:
    """True while torch.compile traces a model (checks that read tensor values would break its graph)."""
    compiler = getattr(torch, "compiler", None)
    return bool(compiler is not None and hasattr(compiler, "is_compiling") and compiler.is_compiling())


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ----------------------------------------------------------------------------------------------- numbers


def positive_int(fn: str, name: str, value: object, what: str = "") -> None:
    if not _is_int(value) or value < 1:
        fail(fn, f"{name} must be a positive integer{what}, got {value!r}")


def integer_at_least(fn: str, name: str, value: object, low: int, what: str = "") -> None:
    if not _is_int(value) or value < low:
        fail(fn, f"{name} must be an integer >= {low}{what}, got {value!r}")


def non_negative_int(fn: str, name: str, value: object) -> None:
    if not _is_int(value) or value < 0:
        fail(fn, f"{name} must be a non-negative integer, got {value!r}")


def number(fn: str, name: str, value: object, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False, what: str = "", hint: str = "") -> None:
    """A finite real number in an interval (open or closed at each end)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        if low is not None and high is not None:
            where = f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        elif low is not None:
            where = f" {'>' if low_open else '>='} {low:g}"
        elif high is not None:
            where = f" {'<' if high_open else '<='} {high:g}"
        else:
            where = ""
        fail(fn, f"{name} must be a number{what}{where}, got {value!r}{'; ' + hint if hint else ''}")


def one_of(fn: str, name: str, value: object, choices: Sequence) -> None:
    if value not in choices:
        fail(fn, f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


# ----------------------------------------------------------------------------------------------- tensors


def tensor(fn: str, name: str, x: object, *, dims: int | tuple[int, ...] | None = None,
           floating: bool = False) -> None:
    """A torch.Tensor with the given number of dimensions; floating point if asked."""
    if not isinstance(x, Tensor):
        fail(fn, f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if dims is not None and x.dim() not in ((dims,) if isinstance(dims, int) else dims):
        fail(fn, f"{name} must have {dims} dimensions, got shape {tuple(x.shape)}")
    if floating and not x.is_floating_point():
        fail(fn, f"{name} must be a floating-point tensor, got dtype {x.dtype}")


def token_ids(fn: str, name: str, x: object, vocab_size: int | None = None, *, dims: int | None = None,
              allow_ignore: bool = False) -> None:
    """Integer token ids in [0, vocab_size) (or -1, "ignore this position", if allowed).

    The range is checked only on the CPU and outside ``torch.compile``: on a GPU, reading the minimum and
    maximum would make the device wait for every kernel queued before it, on every call; in a compiled
    model it would break the graph in two at every forward pass.
    """
    shape = {1: "a 1-D tensor", 2: "a (B, T) tensor"}.get(dims, "a tensor")
    if not isinstance(x, Tensor):
        fail(fn, f"{name} must be {shape} of token ids, got {type(x).__name__}")
    if dims is not None and x.dim() != dims:
        hint = "; for one sequence use ids[None]" if dims == 2 and x.dim() == 1 else ""
        fail(fn, f"{name} must be {shape} of token ids, got shape {tuple(x.shape)}{hint}")
    if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
        fail(fn, f"{name} must hold integer token ids (torch.long), got dtype {x.dtype}; encode the text first")
    if x.numel() == 0:
        fail(fn, f"{name} is empty (shape {tuple(x.shape)}); give at least one token")
    if vocab_size is not None and x.device.type == "cpu" and not _compiling():
        lo, hi = int(x.min()), int(x.max())
        if lo < (-1 if allow_ignore else 0) or hi >= vocab_size:
            bad = hi if hi >= vocab_size else lo
            ignore = " (or -1 to ignore a position)" if allow_ignore else ""
            fail(fn, f"{name} holds the token id {bad}, out of range for vocab_size={vocab_size}: ids must be in "
                     f"[0, {vocab_size}){ignore}")


def id_list(fn: str, name: str, ids: Sequence[int], vocab_size: int) -> list[int]:
    """A list (or 1-D tensor, or array) of ids in [0, vocab_size), returned as a list of ints."""
    ids = ids.tolist() if hasattr(ids, "tolist") else list(ids)
    for i in ids:
        if not _is_int(i) or not 0 <= i < vocab_size:
            fail(fn, f"id {i!r} in {name} is out of range: ids must be integers in 0 .. {vocab_size - 1} "
                     f"(vocab_size={vocab_size})")
    return ids


def text(fn: str, name: str, value: object, *, non_empty: bool = False) -> None:
    if not isinstance(value, str):
        fail(fn, f"{name} must be a str, got {type(value).__name__}")
    if non_empty and not value:
        fail(fn, f"{name} is empty; give a text with at least one character")


def char_vocabulary(fn: str, chars: list) -> None:
    if not chars:
        fail(fn, "chars must hold at least one character")
    for c in chars:
        if not isinstance(c, str) or len(c) != 1:
            fail(fn, f"chars must be single characters, got {c!r}")
    if len(set(chars)) != len(chars):
        dupes = sorted({c for c in chars if chars.count(c) > 1})
        fail(fn, f"chars must not repeat a character, got duplicates {dupes!r}")


def known_chars(fn: str, value: object, stoi: dict) -> None:
    text(fn, "text", value)
    unknown = set(value) - stoi.keys()
    if unknown:
        pos, char = next((i, c) for i, c in enumerate(value) if c in unknown)
        fail(fn, f"the character {char!r} at position {pos} of text is not in the vocabulary "
                 f"({len(stoi)} characters); train the tokenizer on text that contains it")


def specials(fn: str, names: list, chars: Sequence[str] = ()) -> None:
    for name in names:
        if not isinstance(name, str) or not name:
            fail(fn, f"specials must be non-empty strings such as '<pad>', got {name!r}")
    if len(set(names)) != len(names):
        fail(fn, f"specials must not repeat a name, got {names!r}")
    clash = [name for name in names if name in chars]
    if clash:
        fail(fn, f"special token {clash[0]!r} is also an ordinary character of the vocabulary; "
                 "give specials names no text contains as one character, such as '<pad>'")


def special_name(fn: str, name: object, known: dict) -> None:
    if name not in known:
        fail(fn, f"name must be one of the tokenizer's special tokens {list(known)}, got {name!r}; "
                 "add it with specials=[...] when you create the tokenizer")


def merges(fn: str, merges: dict) -> None:
    n = 256
    for (a, b), new_id in merges.items():
        if new_id != n or not (0 <= a < n and 0 <= b < n):
            fail(fn, f"merges must give ids 256, 257, ... in order, each merging two earlier ids; "
                     f"got ({a}, {b}) -> {new_id} after {n} ids")
        n += 1


def saved_type(fn: str, path, data: object, kind: str) -> None:
    if not isinstance(data, dict) or data.get("type") != kind:
        got = data.get("type") if isinstance(data, dict) else type(data).__name__
        fail(fn, f"path {path} does not hold a {kind} (type={got!r})")


# ----------------------------------------------------------------------------------------- attention


def attention_inputs(fn: str, q: object, k: object, v: object, mask: object, causal: bool) -> None:
    for name, t in (("q", q), ("k", k), ("v", v)):
        tensor(fn, name, t, floating=True)
        if t.dim() < 2:
            fail(fn, f"{name} must have at least 2 dimensions (..., T, d), got shape {tuple(t.shape)}")
    if q.shape[-1] != k.shape[-1]:
        fail(fn, f"q and k must share their last dimension d_k, got {q.shape[-1]} and {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        fail(fn, f"k and v must have the same number of positions, got {k.shape[-2]} and {v.shape[-2]}")
    try:
        batch = torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except RuntimeError:
        fail(fn, f"q, k and v must have broadcastable leading (batch, head) dimensions, got shapes "
                 f"{tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    if causal and q.shape[-2] > k.shape[-2]:
        fail(fn, f"causal attention needs at least as many keys as queries, got T_q={q.shape[-2]}, "
                 f"T_k={k.shape[-2]}")
    if mask is not None:
        tensor(fn, "mask", mask)
        if mask.dtype != torch.bool:
            fail(fn, f"mask must be boolean (True = attend), got dtype {mask.dtype}")
        scores = (*batch, q.shape[-2], k.shape[-2])
        try:
            fits = torch.broadcast_shapes(mask.shape, scores) == scores
        except RuntimeError:
            fits = False
        if not fits:
            fail(fn, f"mask of shape {tuple(mask.shape)} does not broadcast to the scores' shape {scores}")


def key_mask(fn: str, mask: object, B: int, T: int, name: str = "mask") -> None:
    """A (B, T) boolean mask, True at real tokens, with at least one real token per row."""
    if not isinstance(mask, Tensor) or mask.dtype != torch.bool or tuple(mask.shape) != (B, T):
        what = f"dtype {mask.dtype}, " if isinstance(mask, Tensor) else ""
        fail(fn, f"{name} must be a boolean tensor of shape {(B, T)}, True at real tokens (as pad_batch "
                 f"returns it), got {what}{_got(mask)}")
    if mask.device.type == "cpu" and not bool(mask.any(dim=1).all()):
        row = int((~mask.any(dim=1)).nonzero()[0])
        fail(fn, f"{name} row {row} has no real token: every sequence needs at least one")


def class_targets(fn: str, targets: object, B: int, n_classes: int) -> None:
    if not isinstance(targets, Tensor) or targets.shape != (B,) or targets.is_floating_point():
        fail(fn, f"targets must be a ({B},) tensor of integer class labels, got {_got(targets)}")
    if targets.device.type == "cpu" and (int(targets.min()) < 0 or int(targets.max()) >= n_classes):
        fail(fn, f"targets must be labels in 0 .. {n_classes - 1}, got {targets.tolist()[:10]}")


def cross_inputs(fn: str, x: object, memory: object, mask: object, C: int) -> None:
    embeddings(fn, "x", x, C)
    embeddings(fn, "memory", memory, C)
    if memory.shape[0] != x.shape[0]:
        fail(fn, f"memory must have x's batch size {x.shape[0]}, got shape {tuple(memory.shape)}")
    if mask is not None:
        key_mask(fn, mask, memory.shape[0], memory.shape[1])


def heads(fn: str, n_embd: int, n_head: int, n_kv_head: int | None = None) -> None:
    positive_int(fn, "n_embd", n_embd)
    positive_int(fn, "n_head", n_head)
    if n_embd % n_head:
        fail(fn, f"n_embd ({n_embd}) must be divisible by n_head ({n_head})")
    if n_kv_head is not None:
        positive_int(fn, "n_kv_head", n_kv_head)
        if n_head % n_kv_head:
            fail(fn, f"n_head ({n_head}) must be divisible by n_kv_head ({n_kv_head}): each key/value head "
                     f"serves the same number of query heads")


def cache_update(fn: str, layer: int, n_layer: int, k: object, v: object) -> None:
    if not _is_int(layer) or not 0 <= layer < n_layer:
        fail(fn, f"layer must be in [0, {n_layer}), got {layer!r}")
    if not isinstance(k, Tensor) or not isinstance(v, Tensor) or k.shape != v.shape:
        fail(fn, f"k and v must be tensors of the same shape, got {_got(k)} and {_got(v)}")


def embeddings(fn: str, name: str, x: object, C: int) -> None:
    """A (B, T, C) tensor of embeddings."""
    if not isinstance(x, Tensor) or x.dim() != 3 or x.shape[-1] != C:
        fail(fn, f"{name} must be a (B, T, {C}) tensor, got {_got(x)}")


def pe_dims(fn: str, C: object, base: object, *, name: str = "C", even: bool = True) -> None:
    positive_int(fn, name, C)
    if even and C % 2:
        fail(fn, f"{name} must be even (sin and cos come in pairs of columns), got {name}={C}")
    number(fn, "base", base, low=1, low_open=True)


def float_dtype(fn: str, dtype: object) -> None:
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        fail(fn, f"dtype must be a floating-point torch.dtype, got {dtype!r}")


def positional_input(fn: str, x: object, start: object, C: int, block_size: int) -> None:
    if not isinstance(x, Tensor) or x.dim() != 3:
        fail(fn, f"x must be a (B, T, C) tensor of embeddings, got {_got(x)}")
    if x.shape[-1] != C:
        fail(fn, f"x has C={x.shape[-1]} channels, the encoding has n_embd={C}")
    non_negative_int(fn, "start", start)
    if start + x.shape[1] > block_size:
        fail(fn, f"x's positions {start}..{start + x.shape[1] - 1} exceed the table's block_size={block_size}; "
                 "crop the input or build a longer table")


# ------------------------------------------------------------------------------------------- the model


def instance(fn: str, name: str, value: object, cls: type) -> None:
    if not isinstance(value, cls):
        fail(fn, f"{name} must be a {cls.__name__}, got {type(value).__name__}")


def gpt_config(fn: str, c) -> None:
    for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
        positive_int(fn, name, getattr(c, name))
    heads(fn, c.n_embd, c.n_head, c.n_kv_head)
    number(fn, "dropout", c.dropout, low=0, high=1, high_open=True)
    one_of(fn, "norm", c.norm, ("layernorm", "rmsnorm"))
    one_of(fn, "mlp", c.mlp, ("gelu", "swiglu"))
    one_of(fn, "pos", c.pos, ("learned", "rope"))
    if c.mlp_hidden is not None:
        positive_int(fn, "mlp_hidden", c.mlp_hidden)
    if c.pos == "rope":
        pe_dims(fn, c.n_embd // c.n_head, c.rope_base, name="the head size n_embd // n_head")


def hf_llama(fn: str, hf_model):
    """The config of a Hugging Face Llama-style model that lmkit's switches reproduce."""
    c = getattr(hf_model, "config", None)
    if getattr(c, "model_type", None) != "llama":
        fail(fn, f"hf_model must be a Hugging Face Llama model, got model_type={getattr(c, 'model_type', None)!r}")
    if getattr(c, "hidden_act", "silu") != "silu" or getattr(c, "attention_bias", False) \
            or getattr(c, "mlp_bias", False):
        fail(fn, "hf_model must use SiLU gates and no biases, as Llama does")
    if getattr(c, "head_dim", None) not in (None, c.hidden_size // c.num_attention_heads):
        fail(fn, f"hf_model has head_dim={c.head_dim}, not hidden_size / num_attention_heads")
    if abs(getattr(c, "rms_norm_eps", 1e-5) - 1e-5) > 1e-12:
        fail(fn, f"hf_model uses rms_norm_eps={c.rms_norm_eps}; lmkit's RMSNorm uses 1e-5")
    rope = getattr(c, "rope_parameters", None) or getattr(c, "rope_scaling", None) or {}
    if rope.get("rope_type", "default") != "default":
        fail(fn, f"hf_model scales its rotary embedding ({rope.get('rope_type')!r}); lmkit's RoPE does not")
    return c


def rope_theta(c) -> float:
    rope = getattr(c, "rope_parameters", None) or {}
    return float(rope.get("rope_theta", getattr(c, "rope_theta", 10000.0)))


def gpt_forward(fn: str, config, idx: object, targets: object, past: int) -> None:
    """What GPT.forward needs: (B, T) ids within the vocabulary and the context, targets like them."""
    token_ids(fn, "idx", idx, config.vocab_size, dims=2)
    if idx.dtype not in (torch.long, torch.int):
        fail(fn, f"idx must hold token ids as torch.long (or torch.int), got dtype {idx.dtype}")
    if past + idx.shape[1] > config.block_size:
        fail(fn, f"idx has {past + idx.shape[1]} positions{f' (with {past} cached)' if past else ''}, which "
                 f"exceeds the context block_size={config.block_size}; crop it to the last {config.block_size} tokens")
    if targets is not None:
        if not isinstance(targets, Tensor) or targets.shape != idx.shape:
            fail(fn, f"targets must be a tensor of shape {tuple(idx.shape)} like idx, got {_got(targets)}")
        token_ids(fn, "targets", targets, config.vocab_size, allow_ignore=True)
        if targets.dtype != torch.long:
            fail(fn, f"targets must hold token ids as torch.long, got dtype {targets.dtype}")


def hf_gpt2(fn: str, hf_model) -> None:
    config = getattr(hf_model, "config", None)
    if getattr(config, "model_type", None) != "gpt2":
        fail(fn, f"hf_model must be a Hugging Face GPT-2 model, got model_type="
                 f"{getattr(config, 'model_type', None)!r}")
    act = getattr(config, "activation_function", "gelu_new")
    if act not in ("gelu_new", "gelu_pytorch_tanh"):
        fail(fn, f"hf_model uses the activation {act!r}, not GPT-2's tanh GELU; lmkit's MLP would differ")


def folder_exists(fn: str, path) -> None:
    parent = Path(path).parent
    if not parent.is_dir():
        raise FileNotFoundError(f"{fn}: the folder {parent} of path does not exist; create it first "
                                f"(Path({str(parent)!r}).mkdir(parents=True))")


def read_checkpoint(fn: str, path, map_location) -> dict:
    """Read a file written by GPT.save with ``weights_only=True`` and check what it holds."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{fn}: path names no checkpoint file: {path}")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # torch raises many kinds: unpickling, zip, EOF errors
        raise ValueError(f"{fn}: {path} is not a checkpoint written by GPT.save ({e.__class__.__name__}); "
                         f"only plain tensors and dicts are loaded, never pickled code") from e
    if not isinstance(ckpt, dict) or "config" not in ckpt or "state_dict" not in ckpt:
        fail(fn, f"{path} is not a checkpoint written by GPT.save (no config/state_dict)")
    from .model import GPTConfig

    try:
        GPTConfig(**ckpt["config"])
    except (TypeError, ValueError) as e:
        fail(fn, f"{path} has an invalid config {ckpt['config']!r}: {e}")
    return ckpt


def state_dict_fits(fn: str, path, model_state: dict, loaded: object, config: dict) -> None:
    """A loaded state_dict has exactly the model's tensors, each of the model's shape."""
    if not isinstance(loaded, dict):
        fail(fn, f"the state_dict in {path} is a {type(loaded).__name__}, not a dict of tensors")
    missing = sorted(set(model_state) - set(loaded))
    unexpected = sorted(set(loaded) - set(model_state))
    wrong = [f"{k} {tuple(loaded[k].shape)} instead of {tuple(v.shape)}" for k, v in model_state.items()
             if k in loaded and (not isinstance(loaded[k], Tensor) or loaded[k].shape != v.shape)]
    for what, names in (("lacks", missing), ("has unexpected tensors", unexpected), ("has wrong shapes", wrong)):
        if names:
            fail(fn, f"the state_dict in {path} does not fit its config {config!r}: it {what}: "
                     f"{', '.join(names[:4])}{' ...' if len(names) > 4 else ''}")


# -------------------------------------------------------------------------------------------- sampling


def logits(fn: str, x: object) -> None:
    """Floating-point logits with a non-empty last (vocabulary) dimension and no NaN."""
    tensor(fn, "logits", x, floating=True)
    if x.dim() == 0 or x.shape[-1] == 0:
        fail(fn, f"logits must have a non-empty last (vocabulary) dimension, got shape {tuple(x.shape)}")
    if torch.isnan(x).any():
        fail(fn, "logits contain NaN; the model's output is broken (check the loss and the learning rate)")


def generate_args(fn: str, model, idx: object, max_new_tokens: object, temperature: float, top_k, top_p,
                  greedy: bool, use_cache: bool) -> None:
    config = getattr(model, "config", None)
    if not callable(model) or not isinstance(getattr(config, "block_size", None), int):
        fail(fn, f"model must be a GPT (or a model with a config.block_size), got {type(model).__name__}")
    if use_cache and not hasattr(model, "new_cache"):
        fail(fn, f"model ({type(model).__name__}) has no KV cache (no new_cache method); pass use_cache=False")
    non_negative_int(fn, "max_new_tokens", max_new_tokens)
    token_ids(fn, "idx", idx, getattr(config, "vocab_size", None), dims=2)
    if not greedy:
        sampling(fn, temperature, top_k, top_p)


def sampling(fn: str, temperature: float, top_k: int | None, top_p: float | None) -> None:
    number(fn, "temperature", temperature, low=0, low_open=True, hint="use greedy=True for temperature 0")
    if top_k is not None:
        positive_int(fn, "top_k", top_k)
    if top_p is not None:
        number(fn, "top_p", top_p, low=0, high=1, low_open=True)


# -------------------------------------------------------------------------------------------- training


def blocks(fn: str, name: str, data: object, block_size: int, vocab_size: int | None = None) -> None:
    """A 1-D tensor of token ids long enough for one block of ``block_size`` inputs and its targets."""
    positive_int(fn, "block_size", block_size)
    token_ids(fn, name, data, vocab_size, dims=1)
    if len(data) < block_size + 1:
        fail(fn, f"{name} has {len(data)} tokens, too few for block_size={block_size}: it needs at least "
                 f"block_size + 1 = {block_size + 1}; use a smaller block_size or more data")


def eval_data(fn: str, data: object) -> None:
    token_ids(fn, "data", data, dims=1)
    if len(data) < 2:
        fail(fn, f"data must hold at least 2 token ids (one input, one target), got {len(data)}")


def train_config(fn: str, c) -> None:
    positive_int(fn, "max_iters", c.max_iters)
    positive_int(fn, "batch_size", c.batch_size)
    if c.block_size is not None:
        positive_int(fn, "block_size", c.block_size)
    number(fn, "lr", c.lr, low=0, low_open=True)
    if c.min_lr is not None:
        number(fn, "min_lr", c.min_lr, low=0)
    if not _is_int(c.warmup_iters) or not 0 <= c.warmup_iters <= c.max_iters:
        fail(fn, f"warmup_iters must be an integer between 0 and max_iters ({c.max_iters}), got {c.warmup_iters!r}; "
                 "a warmup cannot be longer than the run")
    number(fn, "weight_decay", c.weight_decay, low=0)
    if c.grad_clip is not None:
        number(fn, "grad_clip", c.grad_clip, low=0)
    non_negative_int(fn, "eval_interval", c.eval_interval)
    positive_int(fn, "eval_iters", c.eval_iters)
    if c.max_seconds is not None:
        number(fn, "max_seconds", c.max_seconds, low=0, low_open=True)
    one_of(fn, "dtype", c.dtype, ("float32", "bfloat16", "auto"))
    if not isinstance(c.compile, bool):
        fail(fn, f"compile must be True or False, got {c.compile!r}")
    one_of(fn, "optimizer", c.optimizer, ("adamw", "muon"))
    one_of(fn, "schedule", c.schedule, ("steps", "time"))
    if c.schedule == "time" and c.max_seconds is None:
        fail(fn, "schedule='time' decays the learning rate over max_seconds of training: set max_seconds too")
    number(fn, "muon_lr", c.muon_lr, low=0, low_open=True)


def schedule(fn: str, it: object, warmup_iters: int, max_iters: int) -> None:
    if not _is_int(max_iters) or max_iters < 1 or not _is_int(warmup_iters) or not 0 <= warmup_iters <= max_iters:
        fail(fn, f"need 0 <= warmup_iters <= max_iters and max_iters >= 1, got warmup_iters={warmup_iters!r}, "
                 f"max_iters={max_iters!r}")
    non_negative_int(fn, "it (the step number)", it)


def train_args(fn: str, model, train_data: object, val_data: object, config) -> None:
    from .training import TrainConfig

    instance(fn, "config", config, TrainConfig)
    block_size = config.block_size or getattr(getattr(model, "config", None), "block_size", None)
    if block_size is None:
        fail(fn, f"config.block_size must be set for a model without config.block_size ({type(model).__name__})")
    context = getattr(getattr(model, "config", None), "block_size", None)
    if context is not None and block_size > context:
        fail(fn, f"config.block_size={block_size} is longer than the model's context block_size={context}")
    vocab_size = getattr(getattr(model, "config", None), "vocab_size", None)
    blocks(fn, "train_data", train_data, block_size, vocab_size)
    if val_data is not None:
        blocks(fn, "val_data", val_data, block_size, vocab_size)


def finite_loss(fn: str, loss: float, step: int, lr: float) -> None:
    if not math.isfinite(loss):
        raise FloatingPointError(f"{fn}: the loss became {loss} at step {step}; lower the learning rate "
                                 f"(lr={lr}) or check the data")


# ------------------------------------------------------------------------------------------------ data


def download_args(fn: str, sha256: object, timeout: object, retries: object) -> None:
    if not isinstance(sha256, str) or len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256.lower()):
        fail(fn, f"sha256 must be 64 hexadecimal digits, got {sha256!r}")
    number(fn, "timeout", timeout, low=0, low_open=True, what=" of seconds")
    non_negative_int(fn, "retries", retries)


def text_dataset(fn: str, name: object, datasets: dict) -> None:
    one_of(fn, "name", name, list(datasets))
    files = [f.name for f in datasets[name].files]
    if len(files) != 1 or not files[0].endswith(".txt"):
        texts = [n for n, d in datasets.items() if len(d.files) == 1 and d.files[0].name.endswith(".txt")]
        fail(fn, f"name={name!r} is not one text file but {files}; use fetch({name!r}) to get their paths, "
                 f"or load_text one of {texts}")


def pad_args(fn: str, seqs: object, pad_id: object, max_len: object) -> None:
    if isinstance(seqs, (str, Tensor)) or not isinstance(seqs, Sequence) or not seqs:
        fail(fn, f"seqs must be a non-empty list of id lists, got {_got(seqs)}")
    if not _is_int(pad_id):
        fail(fn, f"pad_id must be an int (the tokenizer's special_id('<pad>')), got {_got(pad_id)}")
    if max_len is not None:
        positive_int(fn, "max_len", max_len)
    for i, s in enumerate(seqs):
        s = s.tolist() if isinstance(s, Tensor) else s
        if isinstance(s, str) or not isinstance(s, Sequence) or not all(_is_int(t) for t in s):
            fail(fn, f"seqs[{i}] must be a list of int token ids, got {_got(s)}; encode the text first")
        if len(s) == 0:
            fail(fn, f"seqs[{i}] is empty; every sequence needs at least one token")


def split_args(fn: str, data: object, frac: object) -> None:
    number(fn, "frac", frac, low=0, high=1, low_open=True, high_open=True)
    if isinstance(data, Tensor) and data.dim() != 1:
        fail(fn, f"data must be a 1-D tensor, got shape {tuple(data.shape)}")
    if not isinstance(data, (str, Sequence, Tensor)):
        fail(fn, f"data must be a str, list or 1-D tensor, got {type(data).__name__}")
    n = int(frac * len(data))
    if n == 0 or n == len(data):
        fail(fn, f"data has {len(data)} items, too few to split with frac={frac} into two non-empty parts; "
                 "pass more data or another frac")


# ---------------------------------------------------------------------------------------------- n-grams


def ngram_config(fn: str, n: object, vocab_size: object, smoothing: object, k: object, smoothings) -> None:
    positive_int(fn, "n", n, " (1 = unigram)")
    positive_int(fn, "vocab_size", vocab_size)
    one_of(fn, "smoothing", smoothing, smoothings)
    number(fn, "k", k, low=0, low_open=True, what=" (the add-k pseudo-count)")
    if vocab_size ** n >= 2 ** 63:
        fail(fn, f"vocab_size ** n must fit in int64 (n-grams are encoded as base-V integers); "
                 f"got vocab_size={vocab_size}, n={n}: use a smaller n")


def ngram_ids(fn: str, name: str, ids: object, vocab_size: int, allow_empty: bool) -> Tensor:
    """Check a 1-D sequence of ids (list, tuple, tensor or array) and return it as a CPU LongTensor."""
    if isinstance(ids, str):
        fail(fn, f"{name} must be a sequence of integer token ids, got a str; encode the text first")
    if isinstance(ids, Tensor):
        t = ids.detach().cpu()
    else:
        values = ids.tolist() if hasattr(ids, "tolist") else ids
        if not isinstance(values, (list, tuple, range)):
            fail(fn, f"{name} must be a sequence of integer token ids, got {type(ids).__name__}")
        if not all(_is_int(v) or (isinstance(v, Tensor) and v.dim() == 0) for v in values):
            fail(fn, f"{name} must hold integer token ids, got {list(values)[:5]!r}...")
        t = torch.tensor([int(v) for v in values], dtype=torch.long)
    if t.dim() != 1:
        fail(fn, f"{name} must be 1-D, got shape {tuple(t.shape)}")
    if t.dtype == torch.bool or t.is_floating_point() or t.is_complex():
        fail(fn, f"{name} must hold integer token ids, got dtype {t.dtype}")
    if t.numel() == 0 and not allow_empty:
        fail(fn, f"{name} is empty; it needs at least one token id")
    if t.numel():
        lo, hi = int(t.min()), int(t.max())
        if lo < 0 or hi >= vocab_size:
            fail(fn, f"{name} holds the id {lo if lo < 0 else hi}, outside [0, vocab_size={vocab_size})")
    return t.long()


def ngram_length(fn: str, ids: Tensor, n: int) -> None:
    if ids.numel() < n:
        fail(fn, f"ids has {ids.numel()} tokens; an n-gram model with n={n} needs at least {n}")


def ngram_contexts(fn: str, contexts: object, n: int) -> None:
    if not isinstance(contexts, Tensor) or contexts.dim() != 2 or contexts.shape[1] != n - 1:
        fail(fn, f"contexts must be a (N, n-1) = (N, {n - 1}) tensor of ids, got {_got(contexts)}")


def fitted(fn: str, tables: list) -> None:
    if not tables:
        fail(fn, "this NGramModel has not been fitted: call .fit(train_ids) first")


# ---------------------------------------------------------------------------------------------- figures


def attention_stack(fn: str, layers_in: list, tokens: object):
    """Check per-layer attention weights (each (H, T, T) or (1, H, T, T)) against the tokens;
    return one (L, H, T, T) NumPy array."""
    import numpy as np

    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        fail(fn, f"tokens must be a list of strings, got {type(tokens).__name__}")
    if len(layers_in) == 0:
        fail(fn, "attentions is empty: pass one (H, T, T) tensor per layer")
    layers = []
    for i, a in enumerate(layers_in):
        if a.ndim == 4 and a.shape[0] != 1:
            fail(fn, f"attentions[{i}] has shape {a.shape}: a batch of {a.shape[0]} sequences; "
                     "pass the weights of one sequence, e.g. [a[b] for a in attentions]")
        a = a[0] if a.ndim == 4 else a
        if a.ndim != 3:
            fail(fn, f"attentions[{i}] must have shape (H, T, T) or (1, H, T, T), got {a.shape}")
        if a.shape[1] != a.shape[2]:
            fail(fn, f"attentions[{i}] has shape {a.shape}: self-attention weights are square (T, T)")
        if a.size == 0:
            fail(fn, f"attentions[{i}] is empty (shape {a.shape})")
        if layers and a.shape != layers[0].shape:
            fail(fn, f"attentions[{i}] has shape {a.shape} but attentions[0] has {layers[0].shape}; "
                     "every layer must have the same number of heads and tokens")
        layers.append(a)
    if len(tokens) != layers[0].shape[-1]:
        fail(fn, f"tokens has {len(tokens)} entries but the attention weights cover T={layers[0].shape[-1]} positions")
    return np.stack(layers)


def attention_array(fn: str, a) -> None:
    if a.ndim not in (3, 4, 5):
        fail(fn, f"attentions must be per-layer (H, T, T) weights; got one array of shape {tuple(a.shape)}")


def attention_view(fn: str, shape: tuple, layer: int, head: int, query: int | None) -> None:
    L, H, T, _ = shape
    if not (_is_int(layer) and 0 <= layer < L):
        fail(fn, f"layer must be in 0..{L - 1}, got {layer!r}")
    if not (_is_int(head) and 0 <= head < H):
        fail(fn, f"head must be in 0..{H - 1}, got {head!r}")
    if query is not None and not (_is_int(query) and 0 <= query < T):
        fail(fn, f"query must be None or a position in 0..{T - 1}, got {query!r}")


def heatmap(fn: str, w, tokens_q: Sequence, tokens_k: Sequence) -> None:
    if w.size == 0 or w.ndim != 2:
        fail(fn, f"weights must be a non-empty 2-D (T_q, T_k) matrix, got shape {w.shape}")
    if w.shape != (len(tokens_q), len(tokens_k)):
        fail(fn, f"weights shape {w.shape} does not match {len(tokens_q)} query and {len(tokens_k)} key tokens")


def prob_bars(fn: str, p, labels: Sequence) -> None:
    import numpy as np

    if p.size == 0:
        fail(fn, "probs is empty")
    if len(p) != len(labels):
        fail(fn, f"probs has {len(p)} probabilities but {len(labels)} labels")
    if not np.isfinite(p).all():
        fail(fn, "probs contains NaN or infinite values (did the model's loss diverge?)")


def explorer_args(fn: str, draw, controls, alt, grid, max_frames) -> None:
    if not callable(draw):
        fail(fn, f"fn must be a function that draws or prints, got {type(draw).__name__}")
    if not isinstance(controls, dict) or not controls:
        fail(fn, f"controls must be a non-empty dict of ipywidgets controls, got {controls!r}")
    for name, w in controls.items():
        if not hasattr(w, "value") or not hasattr(w, "observe"):
            fail(fn, f"controls[{name!r}] must be an ipywidgets control, got {type(w).__name__}")
    if not isinstance(alt, str) or not alt.strip():
        fail(fn, f"alt must describe the figure in words, got {alt!r}")
    if grid is not None:
        if not isinstance(grid, dict):
            fail(fn, f"grid must be a dict of value lists, got {type(grid).__name__}")
        for name, values in grid.items():
            if name not in controls:
                fail(fn, f"grid names {name!r}, which is not one of the controls {list(controls)}")
            if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or len(values) == 0:
                fail(fn, f"grid[{name!r}] must be a non-empty list of values, got {values!r}")
    if not _is_int(max_frames) or max_frames < 1:
        fail(fn, f"max_frames must be a positive int, got {max_frames!r}")
