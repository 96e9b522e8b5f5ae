"""lmkit: the small shared package of "Large Language Models: From Theory to Practice".

One module per idea, each taught in a chapter that its docstring names: ``datasets`` (the pinned data
sets), ``data`` (splits and batches), ``ngram`` (count-based n-gram models), ``tokenizers``
(characters, byte-level BPE), ``attention``, ``positional`` (positional encodings), ``model`` (a GPT),
``seq2seq`` (encoders and encoder-decoders), ``training``, ``generation``, ``plot``, ``widgets`` (the
explorers) and ``check`` (the exercises' checks). Input checks for all of them live in one private
module, ``_validate``.

The names used most are here at the top: ``lmkit.GPT``, ``lmkit.train``, ``lmkit.generate`` ...
"""
from . import (attention, check, data, datasets, generation, model, ngram, plot, positional, seq2seq,
               tokenizers, training, widgets)
from .attention import capture_attention
from .data import get_batch, train_val_split
from .datasets import fetch, load_text
from .generation import generate
from .model import GPT, GPTConfig
from .tokenizers import BPETokenizer, CharTokenizer
from .training import TrainConfig, evaluate, pick_device, set_seed, train

__version__ = "0.1.0"

__all__ = [
    "attention", "check", "data", "datasets", "generation", "model", "ngram", "plot", "positional", "seq2seq",
    "tokenizers", "training", "widgets",
    "capture_attention", "get_batch", "train_val_split", "fetch", "load_text", "generate",
    "GPT", "GPTConfig", "BPETokenizer", "CharTokenizer", "TrainConfig", "evaluate", "pick_device", "set_seed",
    "train",
]
