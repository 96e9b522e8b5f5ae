"""Checks for the book's exercises: ``lmkit.check.<name>(your_function)`` prints ✅ or ❌ and returns a verdict.

Each check runs your function on a few cases and compares it with a tested reference. On a failure it
says which case failed and how, and gives a hint; failing again gives a more specific hint, and no
hint gives the answer away. A check never raises because of your code. ``with lmkit.check.quiet():``
runs checks silently. One module per chapter, named after the chapter's file.
"""
from . import (adapting, blocks_and_batches, design_document_code, embeddings, ffn_residual_norm, frameworks,
               generation, gpt_from_scratch, history, input_encoding, language_models, machine_translation,
               position_math, positional_encoding, preliminaries, pretrained_models, scaled_dot_product_attention,
               self_attention, sentiment, summarization, training_math, training_shakespeare, word_embeddings)
from . import compute, faq, multilingual, privacy, scaling
from ._grader import quiet
from .adapting import *  # noqa: F403
from .blocks_and_batches import *  # noqa: F403
from .design_document_code import *  # noqa: F403
from .embeddings import *  # noqa: F403
from .ffn_residual_norm import *  # noqa: F403
from .frameworks import *  # noqa: F403
from .generation import *  # noqa: F403
from .gpt_from_scratch import *  # noqa: F403
from .history import *  # noqa: F403
from .input_encoding import *  # noqa: F403
from .language_models import *  # noqa: F403
from .machine_translation import *  # noqa: F403
from .position_math import *  # noqa: F403
from .positional_encoding import *  # noqa: F403
from .preliminaries import *  # noqa: F403
from .pretrained_models import *  # noqa: F403
from .scaled_dot_product_attention import *  # noqa: F403
from .self_attention import *  # noqa: F403
from .sentiment import *  # noqa: F403
from .summarization import *  # noqa: F403
from .training_math import *  # noqa: F403
from .training_shakespeare import *  # noqa: F403
from .word_embeddings import *  # noqa: F403
from .scaling import *  # noqa: F403
from .compute import *  # noqa: F403
from .privacy import *  # noqa: F403
from .multilingual import *  # noqa: F403
from .faq import *  # noqa: F403

#: The check modules in the order of the chapters (each named after its chapter's file).
MODULES = [preliminaries, history, language_models, input_encoding, blocks_and_batches, self_attention,
           positional_encoding, ffn_residual_norm, embeddings, scaled_dot_product_attention, position_math,
           training_math, design_document_code, gpt_from_scratch, training_shakespeare, generation,
           sentiment, machine_translation, summarization, adapting, frameworks, pretrained_models,
           word_embeddings, scaling, compute, privacy, multilingual, faq]

#: The names of every check, in the order of the chapters.
CHECKS = [name for m in MODULES for name in m.__all__]

__all__ = ["quiet", *CHECKS]
