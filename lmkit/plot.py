"""The book's figures, with one consistent look: loss curves, attention heat maps, probability bars.

Used from chapter 2 on. Each helper draws on a given matplotlib ``ax`` (or makes a new figure)
and returns the ``ax``, so chapters can combine them.
"""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from . import _validate as _v

__all__ = ["COLORS", "STYLE", "attention_heatmap", "loss_curves", "prob_bars", "use_cjk_font", "use_style"]

COLORS = ["#1f5fa8", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#495057"]

STYLE = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "axes.prop_cycle": mpl.cycler(color=COLORS),
    "svg.fonttype": "none",
}


def use_style() -> None:
    """Apply the book's matplotlib style and make notebooks emit PNG figures (never SVG)."""
    mpl.rcParams.update(STYLE)
    try:  # inline backend: PNG only, so that nbval and the page agree
        from matplotlib_inline.backend_inline import set_matplotlib_formats
        set_matplotlib_formats("png")
    except Exception:  # not in IPython
        pass


def use_cjk_font() -> str:
    """Make matplotlib draw Chinese (and Japanese and Korean) text; return the font's family name.

    Registers Noto Sans CJK SC, which the ``mplfonts`` package ships (SIL Open Font Licence), once, and
    puts it first among the sans-serif fonts, so that no figure shows empty boxes or warns that a glyph
    is missing. The font is installed with the course's requirements, never assumed present. Taught in
    chapters/part7/multilingual.
    """
    from pathlib import Path

    from matplotlib import font_manager

    try:
        import mplfonts
    except ImportError as e:
        raise ImportError("use_cjk_font needs the mplfonts package, which carries the font: "
                          "pip install 'mplfonts>=0.0.11'") from e
    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.is_file():
        raise FileNotFoundError(f"use_cjk_font: {path} is missing; reinstall mplfonts (>= 0.0.11)")
    if not any(Path(f.fname) == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = [family, *[f for f in mpl.rcParams["font.sans-serif"] if f != family]]
    mpl.rcParams["axes.unicode_minus"] = False  # the font has no U+2212 minus sign
    return family


def _ax(ax, figsize=None):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _values(obj) -> np.ndarray:
    return np.asarray(obj.detach().cpu() if hasattr(obj, "detach") else obj, dtype=float)


def loss_curves(history, *, ax=None, label: str | None = None, x: str = "iters", title: str | None = None,
                smooth: int = 0, show_steps: bool = True, color: str | None = None):
    """Training and validation loss against steps (``x="iters"``) or seconds (``x="seconds"``).

    ``history`` is a :class:`lmkit.train.History`; the per-step training loss is drawn faintly
    behind the evaluated points when ``show_steps``. Without a ``label``, training is drawn in the
    first colour and validation in the second; with one (to compare runs on one ``ax``), each run
    gets one colour, training solid and validation dashed. Chapter 14.
    """
    _v.one_of("loss_curves", "x", x, ("iters", "seconds"))
    ax = _ax(ax)
    prefix = f"{label}: " if label else ""
    xs = np.asarray(history.iters if x == "iters" else history.seconds, dtype=float)
    runs = len({line.get_color() for line in ax.get_lines()})  # runs already drawn on this ax
    train_color = color or (COLORS[0] if not label else COLORS[runs % len(COLORS)])
    val_color = COLORS[1] if not label else train_color
    if show_steps and x == "iters" and history.step_loss:
        steps = np.asarray(history.step_loss)
        if smooth > 1 and len(steps) >= smooth:
            steps = np.convolve(steps, np.ones(smooth) / smooth, mode="valid")
        ax.plot(np.arange(len(steps)) + (smooth // 2 if smooth > 1 else 0), steps, alpha=0.3, lw=0.8,
                color=train_color, label=f"{prefix}train (each step)")
    ax.plot(xs, history.train_loss, "o-", ms=3, color=train_color, label=f"{prefix}train")
    if history.val_loss and not np.all(np.isnan(history.val_loss)):
        ax.plot(xs, history.val_loss, "s--", ms=3, color=val_color, label=f"{prefix}validation")
    ax.set_xlabel("training step" if x == "iters" else "training time (s)")
    ax.set_ylabel("cross-entropy loss (nats/token)")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def attention_heatmap(weights, tokens_q: Sequence[str], tokens_k: Sequence[str] | None = None, *, ax=None,
                      title: str | None = None, annotate: bool = False, cmap: str = "Blues"):
    """Draw a (T_q, T_k) attention-weight matrix with the tokens on the axes. Chapters 5 and 17.

    Row i shows how query token i spreads its attention over the key tokens (each row sums to 1).
    """
    w = _values(weights)  # (T_q, T_k)
    tokens_k = tokens_q if tokens_k is None else tokens_k
    _v.heatmap("attention_heatmap", w, tokens_q, tokens_k)
    n = max(w.shape)
    ax = _ax(ax, figsize=(min(1.5 + 0.35 * w.shape[1], 9), min(1.2 + 0.35 * w.shape[0], 9)))
    im = ax.imshow(w, cmap=cmap, vmin=0.0, vmax=max(1e-9, float(w.max())), aspect="auto")
    ax.set_xticks(range(len(tokens_k)), [repr(t)[1:-1] for t in tokens_k], rotation=90 if n > 6 else 0,
                  fontsize=8 if n > 12 else 9)
    ax.set_yticks(range(len(tokens_q)), [repr(t)[1:-1] for t in tokens_q], fontsize=8 if n > 12 else 9)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query (attending)")
    ax.grid(False)
    if annotate:
        for i in range(w.shape[0]):
            for j in range(w.shape[1]):
                ax.text(j, i, f"{w[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if w[i, j] > 0.6 * w.max() else "black")
    if title:
        ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="weight")
    return ax


def prob_bars(probs, labels: Sequence[str], *, ax=None, top: int | None = 20, title: str | None = None,
              highlight: Sequence[int] = ()):
    """Bar chart of a probability distribution over tokens, most likely first. Chapters 2 and 15.

    ``top`` keeps the most likely entries; ``highlight`` marks entries (indices into ``labels``)
    in the second colour, for example the tokens a top-k filter keeps.
    """
    p = _values(probs).ravel()
    _v.prob_bars("prob_bars", p, labels)
    order = np.argsort(-p, kind="stable")[: top or len(p)]
    ax = _ax(ax)
    colors = [COLORS[1] if i in set(highlight) else COLORS[0] for i in order]
    ax.bar(range(len(order)), p[order], color=colors)
    ax.set_xticks(range(len(order)), [repr(labels[i])[1:-1] if isinstance(labels[i], str) else str(labels[i])
                                      for i in order], fontsize=8)
    ax.set_ylabel("probability")
    ax.set_ylim(0, max(1e-9, float(p[order].max())) * 1.1)
    if title:
        ax.set_title(title)
    return ax
