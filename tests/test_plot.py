"""lmkit.plot: the helpers draw what they are given, and refuse mismatched input clearly."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lmkit import plot  # noqa: E402
from lmkit.training import History  # noqa: E402


def test_loss_curves_draws_train_and_validation():
    h = History(iters=[0, 10], train_loss=[4.0, 2.0], val_loss=[4.1, 2.2], seconds=[0, 1],
                step_loss=list(np.linspace(4, 2, 10)))
    ax = plot.loss_curves(h)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["train (each step)", "train", "validation"]
    assert list(ax.get_lines()[2].get_ydata()) == [4.1, 2.2]
    colors = [line.get_color() for line in ax.get_lines()]
    assert colors[0] == colors[1] != colors[2]  # train vs validation told apart by colour
    ax = plot.loss_curves(h, label="a", show_steps=False)
    plot.loss_curves(h, label="b", ax=ax, show_steps=False)
    colors = [line.get_color() for line in ax.get_lines()]
    assert colors[0] == colors[1] != colors[2] == colors[3]  # one colour per run
    plt.close("all")


def test_attention_heatmap_and_prob_bars():
    w = np.array([[1.0, 0.0], [0.3, 0.7]])
    ax = plot.attention_heatmap(w, ["a", "b"])
    assert np.allclose(ax.images[0].get_array(), w)
    ax = plot.prob_bars([0.1, 0.6, 0.3], ["x", "y", "z"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["y", "z", "x"]  # most likely first
    with pytest.raises(ValueError, match="does not match"):
        plot.attention_heatmap(w, ["a", "b", "c"])
    with pytest.raises(ValueError, match="3 probabilities but 2 labels"):
        plot.prob_bars([0.1, 0.6, 0.3], ["x", "y"])
    plt.close("all")


def test_use_cjk_font_draws_chinese_without_missing_glyphs():
    import warnings

    pytest.importorskip("mplfonts", reason="the font comes with the course's requirements, not lmkit's")

    import matplotlib
    from matplotlib import font_manager

    with matplotlib.rc_context():
        assert plot.use_cjk_font() == "Noto Sans CJK SC"
        n = len(font_manager.fontManager.ttflist)
        assert plot.use_cjk_font() == "Noto Sans CJK SC" and len(font_manager.fontManager.ttflist) == n
        fig, ax = plt.subplots()
        ax.set_title("多语言处理 multilingual -1")
        ax.set_xlabel("人民日报")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.canvas.draw()
        plt.close(fig)
    assert not [w for w in caught if "missing from font" in str(w.message)]
