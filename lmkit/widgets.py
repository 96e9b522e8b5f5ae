"""Small ipywidgets explorers that chapters reuse: pick a layer, a head, a token, and see the figure.

Introduced in chapter 5 (Self-attention and the weighted sum); reused for pretrained models and
for classifiers in later chapters. Each explorer draws its first figure as soon as it is built, so
an executed notebook shows a figure before anyone touches a control, and every drawing function
is a plain function that also works without widgets (in tests, or to save a figure).

:func:`explorer` also works where no kernel runs (the book's web pages): besides the live widget it
can store a *static twin*, the function's output drawn in advance for every point of a small grid of
control values, which the page switches between in the browser (``_static/lmkit-explorer.js``). In
Jupyter and Colab the twin stays hidden and the live widget runs.
"""
from __future__ import annotations

import base64
import contextlib
import html
import io
import itertools
import json
import math
import os
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np

from . import _validate as _v
from . import plot

__all__ = ["attention_explorer", "attention_stack", "draw_attention", "explorer", "grid_of", "static_twin"]


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
    from IPython.display import HTML, display

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
    if os.environ.get(STATIC_DEFAULT_ENV) == "1":  # the page's copy: every layer and head, this query
        def draw(layer, head):
            draw_attention(weights, tokens, layer, head, query,
                           title=f"{title + ': ' if title else ''}layer {layer}, head {head}")

        display(HTML(static_twin(draw, ["layer", "head"], [list(range(L)), list(range(H))],
                                 [[str(i) for i in range(L)], [str(h) for h in range(H)]], [layer, head],
                                 alt=f"Attention weights of one head as a {T} by {T} heat map")))
    return box


# ------------------------------------------------------------------ explorers that move without a kernel

#: Whether :func:`explorer` stores a static twin; ``bench/notebooks.py`` sets LMKIT_STATIC_EXPLORERS=1 when
#: it executes the book's notebooks, so a reader running a chapter does not pay for drawing every frame.
STATIC_DEFAULT_ENV = "LMKIT_STATIC_EXPLORERS"


def grid_of(widget, *, points: int = 9) -> list:
    """The values a static twin draws for one control: every option of a menu or selection slider,
    both states of a check box, the current text of a text box, and for a numeric slider all its
    values if there are at most ``points + 3``, else ``points`` evenly spaced ones (on a log scale for a
    ``FloatLogSlider``) that include its current value."""
    kind = type(widget).__name__
    if hasattr(widget, "_options_values"):
        return list(widget._options_values)
    if kind in ("Checkbox", "ToggleButton"):
        return [False, True]
    if kind in ("IntSlider", "BoundedIntText"):
        values = list(range(widget.min, widget.max + 1, widget.step))
        if len(values) > points + 3:
            values = sorted({int(round(v)) for v in np.linspace(widget.min, widget.max, points)} | {widget.value})
        return values
    if kind == "FloatLogSlider":
        values = list(widget.base ** np.linspace(widget.min, widget.max, points))
        return sorted({float(f"{v:.3g}") for v in values} | {widget.value})
    if kind in ("FloatSlider", "BoundedFloatText"):
        values = np.linspace(widget.min, widget.max, points)
        return sorted({float(f"{v:.4g}") for v in values} | {widget.value})
    if hasattr(widget, "value"):
        return [widget.value]
    raise TypeError(f"grid_of: no grid for a {kind} control; pass its values in grid=")


def _label(widget, value) -> str:
    """How the static twin names a control's value (a newline shows as ⏎, as the book writes it)."""
    if hasattr(widget, "_options_values") and value in widget._options_values:
        text = str(widget._options_labels[widget._options_values.index(value)])
    else:
        text = f"{value:.3g}" if isinstance(value, float) else str(value)
    return text.replace("\n", "⏎")


@contextlib.contextmanager
def _captured_output():
    """Run drawing code with ``plt.show`` switched off and IPython's ``display`` captured; yields a list
    that, afterwards, holds the figures it opened and the MIME bundles it displayed, in order."""
    before, show, captured = set(plt.get_fignums()), plt.show, []
    plt.show = lambda *a, **k: None
    pub = _display_publisher()
    if pub is not None:
        publish = pub.publish
        pub.publish = lambda data, metadata=None, **kw: captured.append(dict(data))
    try:
        yield captured
    finally:
        plt.show = show
        if pub is not None:
            pub.publish = publish
        captured.extend(plt.figure(n) for n in plt.get_fignums() if n not in before)


def _display_publisher():
    try:
        from IPython.core.interactiveshell import InteractiveShell
    except ImportError:
        return None
    return InteractiveShell.instance().display_pub if InteractiveShell.initialized() else None


def _frame_html(item, alt: str, dpi: int) -> str:
    """One captured output as HTML: a figure as a PNG, a displayed object by its richest format."""
    if hasattr(item, "savefig"):
        return f'<img src="data:image/png;base64,{_png(item, dpi)}" alt="{alt}">'
    if "text/html" in item:
        return str(item["text/html"])
    if "image/png" in item:
        return f'<img src="data:image/png;base64,{item["image/png"]}" alt="{alt}">'
    return f"<pre>{html.escape(str(item.get('text/plain', '')))}</pre>"


def _png(fig, dpi: int) -> str:
    """A figure as a small base64 PNG: drawn at ``dpi``, reduced to a 128-colour palette."""
    from PIL import Image

    raw = io.BytesIO()
    fig.savefig(raw, format="png", dpi=dpi)
    img = Image.open(io.BytesIO(raw.getvalue())).convert("RGB").quantize(colors=128)
    out = io.BytesIO()
    img.save(out, format="png", optimize=True)
    return base64.b64encode(out.getvalue()).decode("ascii")


def static_twin(fn: Callable, names: Sequence[str], values: Sequence[Sequence], labels: Sequence[Sequence[str]],
                start: Sequence[int], *, alt: str, dpi: int = 72) -> str:
    """The HTML of a static explorer: ``fn`` called at every point of the grid ``values`` (one list per
    control ``names[i]``), its printed text and figures stored as frames, one range input per control
    with more than one value, and the frame at index ``start`` shown first. The page's script
    (``_static/lmkit-explorer.js``) shows the frame that the inputs point at. Hidden (``display:none``)
    wherever that script's style sheet is absent, as in Jupyter and Colab."""
    frames = []
    for point in itertools.product(*(range(len(v)) for v in values)):
        kwargs = {n: values[d][i] for d, (n, i) in enumerate(zip(names, point))}
        text = io.StringIO()
        with contextlib.redirect_stdout(text), _captured_output() as captured:
            fn(**kwargs)
        where = html.escape(", ".join(f"{n} = {labels[d][i]}" for d, (n, i) in enumerate(zip(names, point))))
        body = f"<pre>{html.escape(text.getvalue().rstrip())}</pre>" if text.getvalue().strip() else ""
        body += "".join(_frame_html(item, f"{html.escape(alt)} ({where})", dpi) for item in captured)
        for item in captured:
            if hasattr(item, "savefig"):
                plt.close(item)
        frames.append(body)
    shape = [len(v) for v in values]
    index = int(np.ravel_multi_index(tuple(start), shape)) if shape else 0
    controls = []
    for d, (name, labs) in enumerate(zip(names, labels)):
        if len(labs) == 1:
            controls.append(f'<span class="lmkit-static-fixed">{html.escape(name)}: {html.escape(labs[0])}</span>')
            continue
        controls.append(
            f'<label>{html.escape(name)} <input type="range" min="0" max="{len(labs) - 1}" step="1" '
            f'value="{start[d]}" data-dim="{d}" data-labels="{html.escape(json.dumps(list(labs)))}" '
            f'aria-label="{html.escape(name)}"> <output>{html.escape(labs[start[d]])}</output></label>')
    body = "".join(f'<div class="lmkit-static-frame" data-frame="{i}"{"" if i == index else " hidden"}>{f}</div>'
                   for i, f in enumerate(frames))
    return (f'<div class="lmkit-static" style="display:none" data-shape="{json.dumps(shape)}">'
            f'<div class="lmkit-static-controls">{"".join(controls)}</div>{body}</div>')


def explorer(fn: Callable, controls: dict, *, alt: str, grid: dict | None = None,
             rows: Sequence[Sequence[str]] | None = None, static: bool | None = None,
             max_frames: int = 60, dpi: int = 72):
    """An explorer that moves with a kernel and without one.

    ``fn(**values)`` prints and/or draws (ending with ``plt.show()``) for the values of ``controls``, a
    dict of ipywidgets controls named like ``fn``'s arguments. Displays the live explorer (the controls,
    arranged in ``rows`` of names if given, over the output) and returns it. With ``static`` (default:
    the environment variable LMKIT_STATIC_EXPLORERS is 1), also displays a static twin for the book's
    web pages (see :func:`static_twin`): ``fn`` drawn over ``grid`` (a dict of value lists; a control
    left out gets :func:`grid_of` its widget), at most ``max_frames`` frames; ``alt`` describes the
    figure for readers who cannot see it.
    """
    import ipywidgets as widgets
    from IPython.display import HTML, display

    _v.explorer_args("explorer", fn, controls, alt, grid, max_frames)
    names = list(controls)
    out = widgets.interactive_output(fn, controls)
    arranged = [[controls[n] for n in row] for row in rows] if rows else [[controls[n]] for n in names]
    box = widgets.VBox([widgets.HBox(row) for row in arranged] + [out])
    display(box)
    if static is None:
        static = os.environ.get(STATIC_DEFAULT_ENV) == "1"
    if static:
        grid = dict(grid or {})
        values = [list(grid[n]) if n in grid else grid_of(controls[n]) for n in names]
        n_frames = math.prod(len(v) for v in values)
        if n_frames > max_frames:
            raise ValueError(f"explorer: the static twin would draw {n_frames} frames, more than max_frames="
                             f"{max_frames}; pass a smaller grid= (e.g. fewer values for "
                             f"{max(names, key=lambda n: len(values[names.index(n)]))!r})")
        labels = [[_label(controls[n], v) for v in vs] for n, vs in zip(names, values)]
        start = [_nearest(vs, controls[n].value) for n, vs in zip(names, values)]
        display(HTML(static_twin(fn, names, values, labels, start, alt=alt, dpi=dpi)))
    return box


def _nearest(values: list, value) -> int:
    if value in values:
        return values.index(value)
    if isinstance(value, (int, float)) and all(isinstance(v, (int, float)) for v in values):
        return int(np.argmin([abs(v - value) for v in values]))
    return 0
