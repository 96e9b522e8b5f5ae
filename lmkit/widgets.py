"""Small ipywidgets explorers that chapters reuse: pick a layer, a head, a token, and see the figure.

Introduced in chapter 5 (Self-attention and the weighted sum); reused for pretrained models and
for classifiers in later chapters. Each explorer draws its first figure as soon as it is built, so
an executed notebook shows a figure before anyone touches a control, and every drawing function
is a plain function that also works without widgets (in tests, or to save a figure).
"""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from . import _validate as _v
from . import plot

__all__ = ["attention_explorer", "attention_stack", "draw_attention"]


def _to_numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().float().cpu().numpy()
    return np.asarray(x, dtype=float)


def attention_stack(attentions, tokens: Sequence[str]) -> np.ndarray:
    """Check attention weights against their tokens and return one (L, H, T, T) array.

    Introduced in chapter 5. ``attentions`` is a sequence with one entry per layer, each (H, T, T)
    or (1, H, T, T) (what Hugging Face models return with ``output_attentions=True``), or one
    array of shape (L, H, T, T). ``tokens`` are the T token strings. Raises ``ValueError``, naming
    the argument, for an empty input, a wrong number of dimensions, a batch of more than one
    sequence, layers of different shapes, non-square weights or a token count that differs from T.
    """
    return _v.attention_stack("attention_stack", [_to_numpy(a) for a in _per_layer(attentions)], tokens)


def _per_layer(attentions):
    """One array or tensor (H, T, T) or (L, H, T, T) becomes a list of layers; a list stays a list."""
    if hasattr(attentions, "ndim"):
        _v.attention_array("attention_stack", attentions)
        return [attentions] if attentions.ndim == 3 else list(attentions)
    return attentions


def draw_attention(weights: np.ndarray, tokens: Sequence[str], layer: int = 0, head: int = 0,
                   query: int | None = None, *, title: str | None = None):
    """Draw one head's (T, T) weights as a heat map; with ``query``, also that token's weights as bars.

    Introduced in chapter 5. ``weights`` is the (L, H, T, T) array from :func:`attention_stack`.
    Returns the matplotlib figure (the caller shows or closes it).
    """
    _v.attention_view("draw_attention", weights.shape, layer, head, query)
    T = weights.shape[-1]
    w = weights[layer, head]  # (T, T)
    side = min(1.5 + 0.32 * T, 7.5)
    if query is None:
        fig, ax = plt.subplots(figsize=(side + 0.8, side))
    else:
        fig, (ax, ax_bar) = plt.subplots(1, 2, figsize=(min(2 * side + 1.2, 12), side), width_ratios=[1.15, 1])
    plot.attention_heatmap(w, list(tokens), ax=ax, title=title or f"layer {layer}, head {head}")
    if query is not None:
        ax.add_patch(plt.Rectangle((-0.5, query - 0.5), T, 1, fill=False, edgecolor=plot.COLORS[1], lw=2))
        colors = [plot.COLORS[1] if j == query else plot.COLORS[0] for j in range(T)]
        ax_bar.bar(range(T), w[query], color=colors)
        ax_bar.set_xticks(range(T), [repr(t)[1:-1] for t in tokens], rotation=90, fontsize=8 if T > 12 else 9)
        ax_bar.set_ylim(0, 1)
        ax_bar.set_ylabel("attention weight")
        ax_bar.set_xlabel("key (attended to)")
        ax_bar.set_title(f"query {query} {repr(tokens[query])[1:-1]!r}: its row, summing to 1")
    fig.tight_layout()
    return fig


def attention_explorer(attentions, tokens: Sequence[str], *, layer: int = 0, head: int = 0,
                       query: int | None = None, title: str | None = None):
    """An explorer of attention weights: a layer slider, a head slider and a query-token menu.

    Introduced in chapter 5, Self-attention (used again for pretrained models). ``attentions`` is
    one (H, T, T) or (1, H, T, T) tensor per layer (see :func:`attention_stack`), ``tokens`` the T
    token strings. The heat map shows every query's weights (rows sum to 1); choosing a query
    token adds its row as bars. The first figure is drawn at once. Returns an ``ipywidgets.VBox``
    with ``.controls`` (layer, head, query widgets) and ``.update()`` (redraw) attached.
    """
    import ipywidgets as widgets
    from IPython.display import display

    weights = attention_stack(attentions, tokens)
    _v.attention_view("attention_explorer", weights.shape, layer, head, query)
    L, H, T, _ = weights.shape
    layer_w = widgets.IntSlider(value=layer, min=0, max=L - 1, description="layer", continuous_update=False)
    head_w = widgets.IntSlider(value=head, min=0, max=H - 1, description="head", continuous_update=False)
    options = [("(none)", -1)] + [(f"{i}: {t}", i) for i, t in enumerate(tokens)]
    query_w = widgets.Dropdown(options=options, value=-1 if query is None else query, description="query")
    out = widgets.Output()

    def update(change=None) -> None:
        q = None if query_w.value < 0 else query_w.value
        fig = draw_attention(weights, tokens, layer_w.value, head_w.value, q,
                             title=f"{title + ': ' if title else ''}layer {layer_w.value}, head {head_w.value}")
        with out:
            out.clear_output(wait=True)
            display(fig)
        plt.close(fig)

    for w in (layer_w, head_w, query_w):
        w.observe(update, names="value")
    update()
    box = widgets.VBox([widgets.HBox([layer_w, head_w, query_w]), out])
    box.controls = (layer_w, head_w, query_w)
    box.update = update
    return box
