"""A GPT: a decoder-only Transformer, laid out as GPT-2 so that its weights load directly, with switches
that turn it into a Llama-style decoder.

Taught in chapters/part4/gpt_from_scratch; its parts are built one by one in Part II. Token and
position embeddings, ``n_layer`` pre-norm blocks (LayerNorm → attention → residual, LayerNorm → MLP →
residual), a final LayerNorm and an output layer tied to the token embedding. The switches of
:class:`GPTConfig`, each off by default, give the decoders in use today: RMSNorm, a SwiGLU feed-forward
network, rotary position embeddings, grouped-query attention and no biases (:data:`LLAMA`). Input checks
live in :mod:`lmkit._validate`.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from . import _validate as _v
from .attention import KVCache, MultiHeadAttention
from .positional import Rotary

__all__ = ["GPT", "GPTConfig", "LLAMA", "MLP", "Block", "RMSNorm", "SwiGLU", "norm"]


@dataclass
class GPTConfig:
    """The shape of a GPT: ``vocab_size`` V tokens, a context of ``block_size`` T positions,
    ``n_layer`` blocks of ``n_head`` heads over ``n_embd`` C channels. GPT-2 small is V=50257,
    T=1024, 12 layers, 12 heads, C=768.

    The switches (defaults: GPT-2): ``norm`` "layernorm" or "rmsnorm"; ``mlp`` "gelu" (C → 4C → C) or
    "swiglu" (hidden width ``mlp_hidden``, by default 8C/3 rounded up to a multiple of 8, which keeps the
    parameter count); ``pos`` "learned" (a table of positions) or "rope" (rotary, base ``rope_base``);
    ``n_kv_head`` key/value heads for grouped-query attention (None: one per query head); ``bias``;
    ``tie_weights`` (the output layer shares the token embedding).
    """

    vocab_size: int = 65
    block_size: int = 64
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True
    norm: str = "layernorm"
    mlp: str = "gelu"
    mlp_hidden: int | None = None
    pos: str = "learned"
    rope_base: float = 10000.0
    n_kv_head: int | None = None
    tie_weights: bool = True

    def __post_init__(self):
        _v.gpt_config("GPTConfig", self)

    @property
    def hidden(self) -> int:
        """The feed-forward network's hidden width."""
        if self.mlp_hidden is not None:
            return self.mlp_hidden
        return 4 * self.n_embd if self.mlp == "gelu" else 8 * math.ceil(self.n_embd / 3)  # 8C/3, up to a multiple of 8


#: The switches that make a GPT a Llama-style decoder: ``GPTConfig(**LLAMA, n_kv_head=..., ...)``.
LLAMA = dict(norm="rmsnorm", mlp="swiglu", pos="rope", bias=False)


class RMSNorm(nn.Module):
    """Root-mean-square normalisation (Zhang & Sennrich 2019): x / rms(x) · g, without LayerNorm's mean
    subtraction and bias."""

    def __init__(self, C: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(C))

    def forward(self, x: Tensor) -> Tensor:
        rms = x.float().pow(2).mean(-1, keepdim=True).add(self.eps).sqrt()  # (B, T, 1)
        return (x.float() / rms).to(x.dtype) * self.weight


def norm(config: GPTConfig) -> nn.Module:
    """The normalisation layer the config asks for."""
    if config.norm == "rmsnorm":
        return RMSNorm(config.n_embd)
    return nn.LayerNorm(config.n_embd, bias=config.bias)


class MLP(nn.Module):
    """The position-wise feed-forward network: C → 4C → GELU → C."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, config.hidden, bias=config.bias)
        self.gelu = nn.GELU(approximate="tanh")  # GPT-2's "gelu_new"
        self.c_proj = nn.Linear(config.hidden, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class SwiGLU(nn.Module):
    """The gated feed-forward network of Shazeer (2020), as in Llama: down(silu(gate(x)) · up(x))."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_gate = nn.Linear(config.n_embd, config.hidden, bias=config.bias)
        self.c_fc = nn.Linear(config.n_embd, config.hidden, bias=config.bias)
        self.c_proj = nn.Linear(config.hidden, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(F.silu(self.c_gate(x)) * self.c_fc(x)))


class Block(nn.Module):
    """One pre-norm Transformer block: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, config: GPTConfig, layer_idx: int = 0, rotary: Rotary | None = None, causal: bool = True):
        super().__init__()
        self.ln_1 = norm(config)
        self.attn = MultiHeadAttention(config.n_embd, config.n_head, n_kv_head=config.n_kv_head,
                                       dropout=config.dropout, bias=config.bias, layer_idx=layer_idx,
                                       rotary=rotary, causal=causal)
        self.ln_2 = norm(config)
        self.mlp = SwiGLU(config) if config.mlp == "swiglu" else MLP(config)

    def forward(self, x: Tensor, kv_cache: KVCache | None = None, mask: Tensor | None = None) -> Tensor:
        x = x + self.attn(self.ln_1(x), kv_cache, mask)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """A decoder-only Transformer language model.

    ``model(idx)`` maps token ids (B, T) to next-token logits (B, T, V); with ``targets`` (B, T)
    it also returns the mean cross-entropy loss. Parameter names follow Hugging Face's GPT-2
    (``transformer.h.0.attn.c_attn.weight`` ...), so :meth:`from_hf_gpt2` is a plain copy.
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        _v.instance("GPT", "config", config, GPTConfig)
        self.config = config
        rotary = Rotary(config.n_embd // config.n_head, config.block_size, config.rope_base) \
            if config.pos == "rope" else None  # one table of angles, shared by every layer
        positions = dict(wpe=nn.Embedding(config.block_size, config.n_embd)) if config.pos == "learned" else {}
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),  # token embedding (V, C)
            **positions,  # position embedding (T, C), unless RoPE
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config, i, rotary) for i in range(config.n_layer)]),
            ln_f=norm(config),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tie_weights:
            self.lm_head.weight = self.transformer.wte.weight  # one matrix for input and output
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
        """Number of parameters, counting the tied output layer once.

        With ``non_embedding=True`` the embeddings are left out, as in Kaplan et al. (2020) and
        nanoGPT: the position table, and the token table (which the output layer shares when tied).
        """
        n = sum(p.numel() for p in self.parameters())  # parameters() yields a tied tensor once
        if non_embedding:
            n -= sum(e.weight.numel() for name, e in self.transformer.items() if name in ("wte", "wpe"))
        return n

    def forward(self, idx: Tensor, targets: Tensor | None = None, *,
                kv_cache: KVCache | None = None) -> tuple[Tensor, Tensor | None]:
        """Logits (B, T, V) and, if ``targets`` (B, T) are given, the mean cross-entropy.

        With a :class:`~lmkit.attention.KVCache`, ``idx`` holds only the new tokens;
        their positions continue after the cached ones.
        """
        past = len(kv_cache) if kv_cache is not None else 0
        _v.gpt_forward("GPT.forward", self.config, idx, targets, past)
        B, T = idx.shape
        x = self.transformer.wte(idx)  # (B, T, C)
        if self.config.pos == "learned":  # add positions (RoPE rotates q and k instead)
            pos = torch.arange(past, past + T, device=idx.device)  # (T,)
            x = x + self.transformer.wpe(pos)  # (B, T, C) + (T, C)
        x = self.transformer.drop(x)
        for block in self.transformer.h:
            x = block(x, kv_cache)
        logits = self.lm_head(self.transformer.ln_f(x))  # (B, T, V)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-1)
        return logits, loss

    def new_cache(self) -> KVCache:
        """An empty KV cache for this model."""
        return KVCache(self.config.n_layer)

    @classmethod
    def from_hf_gpt2(cls, hf_model) -> GPT:
        """Copy the weights of a Hugging Face ``GPT2LMHeadModel`` into a new GPT.

        Hugging Face stores its projections as ``Conv1D`` with weights (in, out);
        ``nn.Linear`` wants (out, in), so those four matrices are transposed.
        """
        _v.hf_gpt2("GPT.from_hf_gpt2", hf_model)
        c = hf_model.config
        model = cls(GPTConfig(vocab_size=c.vocab_size, block_size=c.n_positions,
                              n_layer=c.n_layer, n_head=c.n_head, n_embd=c.n_embd))
        src = hf_model.state_dict()
        transposed = ("attn.c_attn.weight", "attn.c_proj.weight",
                      "mlp.c_fc.weight", "mlp.c_proj.weight")
        with torch.no_grad():
            for name, p in model.state_dict().items():
                if name == "lm_head.weight":
                    continue  # tied to transformer.wte.weight
                w = src[name].t() if name.endswith(transposed) else src[name]
                p.copy_(w)
        return model

    @classmethod
    def from_hf_llama(cls, hf_model) -> GPT:
        """Copy the weights of a Hugging Face ``LlamaForCausalLM`` into a GPT with the :data:`LLAMA` switches.
        The q, k, v projections become one fused ``c_attn``."""
        c = _v.hf_llama("GPT.from_hf_llama", hf_model)
        model = cls(GPTConfig(vocab_size=c.vocab_size, block_size=c.max_position_embeddings,
                              n_layer=c.num_hidden_layers, n_head=c.num_attention_heads, n_embd=c.hidden_size,
                              n_kv_head=c.num_key_value_heads, mlp_hidden=c.intermediate_size,
                              rope_base=_v.rope_theta(c), tie_weights=c.tie_word_embeddings, **LLAMA))
        src = {k.removeprefix("model."): w for k, w in hf_model.state_dict().items()}
        ours = {"transformer.wte.weight": src["embed_tokens.weight"], "transformer.ln_f.weight": src["norm.weight"]}
        if not c.tie_word_embeddings:
            ours["lm_head.weight"] = src["lm_head.weight"]
        for i in range(c.num_hidden_layers):
            a, h = f"layers.{i}.", f"transformer.h.{i}."
            ours[h + "attn.c_attn.weight"] = torch.cat([src[a + f"self_attn.{n}_proj.weight"] for n in "qkv"])
            for theirs, mine in [("self_attn.o_proj", "attn.c_proj"), ("mlp.gate_proj", "mlp.c_gate"),
                                 ("mlp.up_proj", "mlp.c_fc"), ("mlp.down_proj", "mlp.c_proj"),
                                 ("input_layernorm", "ln_1"), ("post_attention_layernorm", "ln_2")]:
                ours[h + mine + ".weight"] = src[a + theirs + ".weight"]
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.copy_(ours[name])
        return model

    @classmethod
    def from_pretrained(cls, name: str = "gpt2") -> GPT:
        """Load released GPT-2 weights (``gpt2``, ``gpt2-medium`` ...) through ``transformers``.

        Needs the network (or a local Hugging Face cache).
        """
        from transformers import GPT2LMHeadModel

        return cls.from_hf_gpt2(GPT2LMHeadModel.from_pretrained(name))

    def save(self, path: str | Path) -> None:
        """Save the configuration and weights to ``path`` (a ``torch.save`` file)."""
        _v.folder_exists("GPT.save", path)
        torch.save({"config": asdict(self.config), "state_dict": self.state_dict()}, path)

    @classmethod
    def load(cls, path: str | Path, map_location: str | torch.device = "cpu") -> GPT:
        """Load a model written by :meth:`save`. Only tensors and plain data are read
        (``torch.load(..., weights_only=True)``): a file cannot run code on your machine."""
        ckpt = _v.read_checkpoint("GPT.load", path, map_location)
        model = cls(GPTConfig(**ckpt["config"]))
        _v.state_dict_fits("GPT.load", path, model.state_dict(), ckpt["state_dict"], ckpt["config"])
        model.load_state_dict(ckpt["state_dict"])
        return model
