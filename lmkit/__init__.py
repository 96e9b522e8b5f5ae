"""lmkit: the small shared package of "Large Language Models: From Theory to Practice".

One module per idea, each taught in a chapter: ``data`` (data sets, batches), ``ngram`` (count-based
n-gram models), ``tokenizers`` (characters, byte-level BPE), ``attention``, ``positional`` (positional
encodings), ``model`` (a GPT), ``train``, ``generate``, ``plot``, ``widgets`` (the explorers) and
``check`` (the exercises' autograder).
"""
from . import attention, check, data, generate, model, ngram, plot, positional, tokenizers, train, widgets
from .data import fetch, get_batch, load_text, train_val_split
from .generate import generate as generate_text
from .model import GPT, GPTConfig
from .tokenizers import BPETokenizer, CharTokenizer
from .train import set_seed

__version__ = "0.1.0"

__all__ = [
    "attention", "check", "data", "generate", "model", "ngram", "plot", "positional", "tokenizers", "train",
    "widgets",
    "fetch", "get_batch", "load_text", "train_val_split", "generate_text",
    "GPT", "GPTConfig", "BPETokenizer", "CharTokenizer", "set_seed",
]
