"""lmkit: the small shared package of "Large Language Models: From Theory to Practice".

One module per idea, each taught in a chapter: ``data`` (data sets, batches), ``tokenizers``
(characters, byte-level BPE), ``attention``, ``model`` (a GPT), ``train``, ``generate``,
``plot`` and ``check`` (the exercises' autograder).
"""
from . import attention, check, data, generate, model, plot, tokenizers, train
from .data import fetch, get_batch, load_text, train_val_split
from .generate import generate as generate_text
from .model import GPT, GPTConfig
from .tokenizers import BPETokenizer, CharTokenizer
from .train import set_seed

__version__ = "0.1.0"

__all__ = [
    "attention", "check", "data", "generate", "model", "plot", "tokenizers", "train",
    "fetch", "get_batch", "load_text", "train_val_split", "generate_text",
    "GPT", "GPTConfig", "BPETokenizer", "CharTokenizer", "set_seed",
]
