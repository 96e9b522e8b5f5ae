"""A GPT: a decoder-only Transformer, laid out as GPT-2 so that its weights load directly.

Introduced in chapter 13 (A GPT from scratch); its parts are built one by one in chapters 5-7.
Token and position embeddings, ``n_layer`` pre-norm blocks (LayerNorm → attention → residual,
LayerNorm → MLP → residual), a final LayerNorm and an output layer tied to the token embedding.
"""
from __future__ import annotations

import math
from pathlib import Path
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from .attention import KVCache, MultiHeadAttention


@dataclass
class GPTConfig:
    """The shape of a GPT. Introduced in chapter 13, A GPT from scratch.

    ``vocab_size`` V tokens, a context of ``block_size`` T positions, ``n_layer`` blocks of
    ``n_head`` heads over ``n_embd`` C channels. GPT-2 small is V=50257, T=1024, 12, 12, 768.
    """

    vocab_size: int = 65
    block_size: int = 64
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True

    def __post_init__(self):
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"GPTConfig: {name} must be a positive integer, got {value!r}")
        if self.n_embd % self.n_head:
            raise ValueError(f"GPTConfig: n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"GPTConfig: dropout must be in [0, 1), got {self.dropout!r}")


class MLP(nn.Module):
    """The position-wise feed-forward network: C → 4C → GELU → C. Chapter 7."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU(approximate="tanh")  # GPT-2's "gelu_new"
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """One pre-norm Transformer block: x + attn(ln(x)), then x + mlp(ln(x)). Chapter 7."""

    def __init__(self, config: GPTConfig, layer_idx: int = 0):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = MultiHeadAttention(config.n_embd, config.n_head, dropout=config.dropout,
                                       bias=config.bias, layer_idx=layer_idx)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: Tensor, kv_cache: KVCache | None = None, return_weights: bool = False) -> Tensor:
        x = x + self.attn(self.ln_1(x), kv_cache=kv_cache, return_weights=return_weights)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """A decoder-only Transformer language model. Introduced in chapter 13, A GPT from scratch.

    ``model(idx)`` maps token ids (B, T) to next-token logits (B, T, V); with ``targets`` (B, T)
    it also returns the mean cross-entropy loss. Parameter names follow Hugging Face's GPT-2
    (``transformer.h.0.attn.c_attn.weight`` ...), so :meth:`from_hf_gpt2` is a plain copy.
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        if not isinstance(config, GPTConfig):
            raise ValueError(f"GPT: config must be a GPTConfig, got {type(config).__name__}")
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),  # token embedding (V, C)
            wpe=nn.Embedding(config.block_size, config.n_embd),  # position embedding (T, C)
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config, i) for i in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # weight tying (chapter 7)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2: scale the residual projections by 1/√(2L)
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_params(self, non_embedding: bool = False) -> int:
        """Number of parameters, counting the tied output layer once (chapter 7 derives the formula).

        With ``non_embedding=True`` the position embedding is left out too, as in Kaplan et al.
        (2020) and nanoGPT, and so is the token embedding, which the output layer shares.
        """
        n = sum(p.numel() for p in self.parameters())  # parameters() yields a tied tensor once
        if non_embedding:
            n -= self.transformer.wpe.weight.numel() + self.transformer.wte.weight.numel()
        return n

    def _check_input(self, idx: Tensor, past: int = 0) -> None:
        if not isinstance(idx, Tensor):
            raise ValueError(f"GPT: idx must be a torch.Tensor of token ids, got {type(idx).__name__}")
        if idx.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
            raise ValueError(f"GPT: idx must hold integer token ids (torch.long), got dtype {idx.dtype}")
        if idx.dim() != 2:
            raise ValueError(f"GPT: idx must have shape (B, T), got {tuple(idx.shape)}; "
                             f"for one sequence use idx[None]")
        if idx.shape[1] == 0:
            raise ValueError("GPT: idx is empty (T = 0); give at least one token")
        if past + idx.shape[1] > self.config.block_size:
            raise ValueError(f"GPT: sequence length {past + idx.shape[1]} exceeds the context "
                             f"block_size={self.config.block_size}; crop to the last {self.config.block_size} tokens")
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= self.config.vocab_size:
            bad = lo if lo < 0 else hi
            raise ValueError(f"GPT: token id {bad} in idx is out of range for vocab_size={self.config.vocab_size}")

    def forward(self, idx: Tensor, targets: Tensor | None = None, *, kv_cache: KVCache | None = None,
                return_weights: bool = False) -> tuple[Tensor, Tensor | None]:
        """Logits (B, T, V) and, if ``targets`` are given, the mean cross-entropy loss.

        With a :class:`~lmkit.attention.KVCache`, ``idx`` holds only the new tokens; their
        positions continue after the cached ones (chapter 15). ``return_weights=True`` keeps each
        layer's attention weights in ``block.attn.last_weights`` (chapter 5's explorer).
        """
        past = len(kv_cache) if kv_cache is not None else 0
        self._check_input(idx, past)
        idx = idx.long()
        B, T = idx.shape
        pos = torch.arange(past, past + T, device=idx.device)  # (T,)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (B, T, C): tokens plus positions
        x = self.transformer.drop(x)
        for block in self.transformer.h:
            x = block(x, kv_cache=kv_cache, return_weights=return_weights)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)  # (B, T, V)
        loss = None
        if targets is not None:
            if not isinstance(targets, Tensor) or targets.shape != idx.shape:
                shape = tuple(targets.shape) if isinstance(targets, Tensor) else type(targets).__name__
                raise ValueError(f"GPT: targets must be a tensor of shape {tuple(idx.shape)} like idx, got {shape}")
            if targets.is_floating_point() or targets.dtype == torch.bool:
                raise ValueError(f"GPT: targets must hold integer token ids (torch.long), got dtype {targets.dtype}")
            bad = (targets < -1) | (targets >= self.config.vocab_size)
            if bad.any():
                raise ValueError(f"GPT: targets must be token ids in [0, vocab_size={self.config.vocab_size}) "
                                 f"(or -1 to ignore a position), got {int(targets[bad][0])}")
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1).long(), ignore_index=-1)
        return logits, loss

    def new_cache(self) -> KVCache:
        """An empty KV cache for this model (chapter 15)."""
        return KVCache(self.config.n_layer)

    @classmethod
    def from_hf_gpt2(cls, hf_model) -> GPT:
        """Copy the weights of a Hugging Face ``GPT2LMHeadModel`` into a new GPT. Chapter 13.

        Hugging Face stores its projections as ``Conv1D`` with weights (in, out); ``nn.Linear``
        wants (out, in), so those four matrices are transposed.
        """
        hf_cfg = hf_model.config
        if getattr(hf_cfg, "model_type", None) != "gpt2":
            raise ValueError(f"from_hf_gpt2: expected a GPT-2 model, "
                             f"got model_type={getattr(hf_cfg, 'model_type', None)!r}")
        act = getattr(hf_cfg, "activation_function", "gelu_new")
        if act not in ("gelu_new", "gelu_pytorch_tanh"):
            raise ValueError(f"from_hf_gpt2: activation {act!r} is not GPT-2's tanh GELU; lmkit's MLP would differ")
        config = GPTConfig(vocab_size=hf_cfg.vocab_size, block_size=hf_cfg.n_positions, n_layer=hf_cfg.n_layer,
                           n_head=hf_cfg.n_head, n_embd=hf_cfg.n_embd, dropout=0.0, bias=True)
        model = cls(config)
        src = hf_model.state_dict()
        transposed = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
        with torch.no_grad():
            for name, p in model.state_dict().items():
                if name == "lm_head.weight":
                    continue  # tied to transformer.wte.weight
                w = src[name]
                if name.endswith(transposed):
                    w = w.t()
                if w.shape != p.shape:
                    raise ValueError(f"from_hf_gpt2: shape mismatch for {name}: {tuple(w.shape)} vs {tuple(p.shape)}")
                p.copy_(w)
        return model

    @classmethod
    def from_pretrained(cls, name: str = "gpt2") -> GPT:
        """Load released GPT-2 weights (``gpt2``, ``gpt2-medium`` ...) through ``transformers``.

        Needs the network (or a local Hugging Face cache); chapter 13 runs it in Colab only.
        """
        try:
            from transformers import GPT2LMHeadModel
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("from_pretrained needs the transformers package: pip install transformers") from e
        return cls.from_hf_gpt2(GPT2LMHeadModel.from_pretrained(name))

    def save(self, path) -> None:
        """Save the configuration and weights to ``path`` (a ``torch.save`` file). Chapter 14."""
        parent = Path(path).parent
        if not parent.is_dir():
            raise FileNotFoundError(f"GPT.save: the folder {parent} does not exist; create it first "
                                    f"(Path({str(parent)!r}).mkdir(parents=True))")
        torch.save({"config": asdict(self.config), "state_dict": self.state_dict()}, path)

    @classmethod
    def load(cls, path, map_location="cpu") -> GPT:
        """Load a model written by :meth:`save` (with ``weights_only=True``: no code is run)."""
        if not Path(path).is_file():
            raise FileNotFoundError(f"GPT.load: no checkpoint file at {path}")
        try:
            ckpt = torch.load(path, map_location=map_location, weights_only=True)
        except Exception as e:
            raise ValueError(f"GPT.load: {path} is not a checkpoint written by GPT.save "
                             f"({e.__class__.__name__}); only plain tensors and dicts are loaded, "
                             f"never pickled code") from e
        if not isinstance(ckpt, dict) or "config" not in ckpt or "state_dict" not in ckpt:
            raise ValueError(f"GPT.load: {path} is not a checkpoint written by GPT.save (no config/state_dict)")
        try:
            model = cls(GPTConfig(**ckpt["config"]))
        except (TypeError, ValueError) as e:
            raise ValueError(f"GPT.load: {path} has an invalid config {ckpt['config']!r}: {e}") from e
        try:
            model.load_state_dict(ckpt["state_dict"])
        except RuntimeError as e:
            first = str(e).splitlines()[1].strip() if len(str(e).splitlines()) > 1 else str(e)
            raise ValueError(f"GPT.load: the state_dict in {path} does not fit its config "
                             f"{ckpt['config']!r}: {first[:300]}") from e
        return model
