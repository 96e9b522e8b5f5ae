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

from . import plot


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
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise ValueError(f"tokens must be a list of strings, got {type(tokens).__name__}")
    if hasattr(attentions, "ndim"):  # one array or tensor: (H, T, T) or (L, H, T, T)
        if attentions.ndim == 3:
            attentions = [attentions]
        elif attentions.ndim not in (4, 5):
            raise ValueError(f"attentions must be per-layer (H, T, T) weights; got one array of shape "
                             f"{tuple(attentions.shape)}")
    if len(attentions) == 0:
        raise ValueError("attentions is empty: pass one (H, T, T) tensor per layer")
    layers = []
    for i, a in enumerate(attentions):
        a = _to_numpy(a)
        if a.ndim == 4:
            if a.shape[0] != 1:
                raise ValueError(f"attentions[{i}] has shape {a.shape}: a batch of {a.shape[0]} sequences; "
                                 f"pass the weights of one sequence, e.g. [a[b] for a in attentions]")
            a = a[0]
        if a.ndim != 3:
            raise ValueError(f"attentions[{i}] must have shape (H, T, T) or (1, H, T, T), got {a.shape}")
        if a.shape[1] != a.shape[2]:
            raise ValueError(f"attentions[{i}] has shape {a.shape}: self-attention weights are square (T, T)")
        if a.size == 0:
            raise ValueError(f"attentions[{i}] is empty (shape {a.shape})")
        if layers and a.shape != layers[0].shape:
            raise ValueError(f"attentions[{i}] has shape {a.shape} but attentions[0] has {layers[0].shape}; "
                             f"every layer must have the same number of heads and tokens")
        layers.append(a)
    T = layers[0].shape[-1]
    if len(tokens) != T:
        raise ValueError(f"tokens has {len(tokens)} entries but the attention weights cover T={T} positions")
    return np.stack(layers)


def draw_attention(weights: np.ndarray, tokens: Sequence[str], layer: int = 0, head: int = 0,
                   query: int | None = None, *, title: str | None = None):
    """Draw one head's (T, T) weights as a heat map; with ``query``, also that token's weights as bars.

    Introduced in chapter 5. ``weights`` is the (L, H, T, T) array from :func:`attention_stack`.
    Returns the matplotlib figure (the caller shows or closes it).
    """
    L, H, T, _ = weights.shape
    if not 0 <= layer < L:
        raise ValueError(f"layer must be in 0..{L - 1}, got {layer}")
    if not 0 <= head < H:
        raise ValueError(f"head must be in 0..{H - 1}, got {head}")
    if query is not None and not 0 <= query < T:
        raise ValueError(f"query must be None or a position in 0..{T - 1}, got {query}")
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
    L, H, T, _ = weights.shape
    if not 0 <= layer < L or not 0 <= head < H or (query is not None and not 0 <= query < T):
        raise ValueError(f"layer, head, query = {layer}, {head}, {query} out of range for {L} layers, "
                         f"{H} heads and {T} tokens")
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
