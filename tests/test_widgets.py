"""lmkit.widgets: the attention explorer checks its input, builds, and draws every layer and head."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from lmkit import widgets  # noqa: E402
from lmkit.attention import scaled_dot_product_attention  # noqa: E402

TOKENS = ["[CLS]", "the", "cat", "sat", "[SEP]"]


def _attentions(L=2, H=3, T=5, batch_dim=True):
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(L, H, T, 4, generator=g), torch.randn(L, H, T, 4, generator=g)
    w = scaled_dot_product_attention(q, k, torch.zeros(L, H, T, 1))[1]  # (L, H, T, T), rows sum to 1
    return tuple(a[None] if batch_dim else a for a in w)  # like Hugging Face: one (1, H, T, T) per layer


def test_attention_stack_accepts_the_usual_layouts():
    atts = _attentions()
    want = torch.stack([a[0] for a in atts]).numpy()
    for form in (atts, [a[0] for a in atts], torch.stack([a[0] for a in atts]), [a[0].numpy() for a in atts]):
        got = widgets.attention_stack(form, TOKENS)
        assert got.shape == (2, 3, 5, 5) and np.allclose(got, want)
    assert widgets.attention_stack(atts[0][0], TOKENS).shape == (1, 3, 5, 5)  # one (H, T, T) layer


@pytest.mark.parametrize("attentions, tokens, match", [
    ((), TOKENS, "attentions is empty"),
    ([torch.rand(5, 5)], TOKENS, r"attentions\[0\] must have shape \(H, T, T\)"),
    ([torch.rand(2, 3, 5, 5)], TOKENS, "batch of 2 sequences"),
    ([torch.rand(3, 5, 4)], TOKENS, "square"),
    ([torch.rand(3, 5, 5), torch.rand(2, 5, 5)], TOKENS, r"attentions\[1\] has shape"),
    ([torch.rand(3, 5, 5)], TOKENS[:4], "tokens has 4 entries but .* T=5"),
    ([torch.rand(3, 5, 5)], "abcde", "tokens must be a list"),
    (torch.rand(5, 5), TOKENS, "attentions must be per-layer"),
    ([torch.rand(3, 0, 0)], [], "empty"),
])
def test_bad_input_is_refused_with_the_argument_named(attentions, tokens, match):
    with pytest.raises(ValueError, match=match):
        widgets.attention_stack(attentions, tokens)
    with pytest.raises(ValueError, match=match):
        widgets.attention_explorer(attentions, tokens)


def test_draw_attention_shows_the_chosen_head_and_query_row():
    weights = widgets.attention_stack(_attentions(), TOKENS)
    for layer in range(2):
        for head in range(3):
            fig = widgets.draw_attention(weights, TOKENS, layer, head)
            assert np.allclose(fig.axes[0].images[0].get_array(), weights[layer, head])
            plt.close(fig)
    fig = widgets.draw_attention(weights, TOKENS, 1, 2, query=3)
    heights = [bar.get_height() for bar in fig.axes[1].patches]
    assert np.allclose(heights, weights[1, 2, 3]) and abs(sum(heights) - 1) < 1e-6
    plt.close(fig)
    for kwargs, match in [(dict(layer=2), "layer must be in 0..1"), (dict(head=-1), "head must be in 0..2"),
                          (dict(query=5), "query must be None or a position in 0..4")]:
        with pytest.raises(ValueError, match=match):
            widgets.draw_attention(weights, TOKENS, **kwargs)


def test_explorer_builds_and_redraws_for_every_layer_head_and_query(monkeypatch):
    drawn = []
    real = widgets.draw_attention
    monkeypatch.setattr(widgets, "draw_attention", lambda *a, **k: drawn.append(a[2:5]) or real(*a, **k))
    box = widgets.attention_explorer(_attentions(), TOKENS, layer=1, head=2, query=0)
    assert drawn == [(1, 2, 0)]  # the first figure is drawn at once, without any interaction
    layer_w, head_w, query_w = box.controls
    assert (layer_w.max, head_w.max, len(query_w.options)) == (1, 2, 1 + len(TOKENS))
    query_w.value = -1
    for layer in range(2):
        for head in range(3):
            layer_w.value, head_w.value = layer, head
    assert (0, 0, None) in drawn and (1, 2, None) in drawn
    assert {(la, h) for la, h, _ in drawn} == {(la, h) for la in range(2) for h in range(3)}
    query_w.value = 4
    assert drawn[-1] == (1, 2, 4)
    assert plt.get_fignums() == []  # every figure was closed after display
    with pytest.raises(ValueError, match="head must be in 0..2, got 3"):
        widgets.attention_explorer(_attentions(), TOKENS, head=3)


# ------------------------------------------------------------------ explorers that move without a kernel


def _draw(tau=1.0, name="a", show=True):
    print(f"tau = {tau}, name = {name}")
    if show:
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1], [0, tau])
        plt.show()


def _frames(page):
    import re

    return re.findall(r'<div class="lmkit-static-frame" data-frame="(\d+)"( hidden)?>(.*?)</div>', page)


def test_static_twin_draws_every_grid_point_and_shows_the_start():
    page = widgets.static_twin(_draw, ["tau", "name", "show"], [[0.5, 1.0, 2.0], ["a", "b"], [True]],
                               [["0.5", "1", "2"], ["a", "b"], ["True"]], [1, 0, 0], alt="a line")
    frames = _frames(page)
    assert len(frames) == 6 and 'data-shape="[3, 2, 1]"' in page
    visible = [f for f in frames if not f[1]]
    assert len(visible) == 1 and visible[0][0] == "2" and "tau = 1.0, name = a" in visible[0][2]  # row-major
    assert all('<img src="data:image/png;base64,' in f[2] for f in frames)
    assert 'alt="a line (tau = 2, name = b, show = True)"' in page
    assert page.count('type="range"') == 2 and "lmkit-static-fixed" in page  # one value: no slider
    assert 'style="display:none"' in page  # hidden wherever the book's style sheet is absent
    assert plt.get_fignums() == []  # every figure drawn for a frame was closed


def test_grid_of_reads_each_kind_of_control():
    import ipywidgets as w

    assert widgets.grid_of(w.IntSlider(value=3, min=1, max=5)) == [1, 2, 3, 4, 5]
    many = widgets.grid_of(w.IntSlider(value=7, min=0, max=100))
    assert 7 in many and many[0] == 0 and many[-1] == 100 and len(many) <= 10
    assert widgets.grid_of(w.Dropdown(options=[("x", 1), ("y", 2)], value=2)) == [1, 2]
    assert widgets.grid_of(w.Checkbox(value=True)) == [False, True]
    assert widgets.grid_of(w.Text(value="hello")) == ["hello"]
    logs = widgets.grid_of(w.FloatLogSlider(value=0.01, base=10, min=-3, max=-1))
    assert 0.01 in logs and min(logs) == pytest.approx(0.001) and max(logs) == pytest.approx(0.1)


def test_explorer_shows_the_live_widget_and_with_static_its_twin(monkeypatch):
    import ipywidgets as w
    from IPython import display as ipy_display

    shown = []
    monkeypatch.setattr(ipy_display, "display", lambda obj, **k: shown.append(obj))
    controls = dict(tau=w.FloatSlider(value=1.0, min=0.5, max=2.0), name=w.Dropdown(options=["a", "b"]))
    box = widgets.explorer(_draw, controls, alt="a line", grid=dict(tau=[0.5, 1.0]), static=True)
    assert shown[0] is box and isinstance(box, w.VBox)
    assert 'class="lmkit-static"' in shown[1].data and len(_frames(shown[1].data)) == 4
    shown.clear()
    monkeypatch.delenv("LMKIT_STATIC_EXPLORERS", raising=False)
    widgets.explorer(_draw, controls, alt="a line")  # a reader's run: no twin to draw
    assert len(shown) == 1


@pytest.mark.parametrize("kwargs, match", [
    (dict(fn=1), "fn must be a function"),
    (dict(controls={}), "controls must be a non-empty dict"),
    (dict(controls={"tau": 3}), r"controls\['tau'\] must be an ipywidgets control"),
    (dict(alt=" "), "alt must describe the figure"),
    (dict(grid={"x": [1]}), "grid names 'x', which is not one of the controls"),
    (dict(grid={"tau": []}), r"grid\['tau'\] must be a non-empty list"),
    (dict(max_frames=0), "max_frames must be a positive int"),
    (dict(grid={"tau": list(range(100))}, static=True), "would draw 100 frames, more than max_frames=60"),
])
def test_explorer_refuses_bad_input_with_the_argument_named(kwargs, match):
    import ipywidgets as w

    args = dict(fn=_draw, controls=dict(tau=w.FloatSlider(value=1.0)), alt="a line") | kwargs
    with pytest.raises(ValueError, match=match):
        widgets.explorer(args.pop("fn"), args.pop("controls"), **args)
