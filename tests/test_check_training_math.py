"""lmkit.check.training_math: right answers (written independently of the checks' references) pass, typical
wrong ones fail, a check never raises, and the hints are graduated and never give the answer away."""
import torch
import torch.nn.functional as F

from lmkit import check
from lmkit.check import training_math as module
from lmkit.model import RMSNorm

# ------------------------------------------------------------------ right answers, written out by hand


def rms_norm_backward(x, weight, grad_out, eps):
    r = (x.pow(2).mean(-1, keepdim=True) + eps).rsqrt()            # (..., 1)
    xhat = x * r
    g = grad_out * weight
    dx = r * (g - xhat * (g * xhat).mean(-1, keepdim=True))
    return dx, (grad_out * xhat).reshape(-1, x.shape[-1]).sum(0)


def rms_norm_backward_by_module(x, weight, grad_out, eps):  # autograd through lmkit's own RMSNorm
    norm = RMSNorm(x.shape[-1], eps=eps).double()
    with torch.no_grad():
        norm.weight.copy_(weight)
    xx = x.clone().requires_grad_(True)
    norm(xx).backward(grad_out)
    return xx.grad, norm.weight.grad


def label_smoothing_backward(logits, targets, smoothing):
    N, V = logits.shape
    q = torch.full_like(logits, smoothing / V)
    q[torch.arange(N), targets] += 1 - smoothing
    return (torch.softmax(logits, -1) - q) / N


def training_flops(config, tokens):
    L, T, C = config.n_layer, config.block_size, config.n_embd
    n = L * (12 * C * C + 13 * C) + 2 * C                            # outside wte and wpe
    return (6 * n + 12 * L * T * C) * tokens


# ----------------------------------------------------------------------------------------- the checks


def test_rms_norm_backward(capsys):
    assert check.rms_norm_backward(rms_norm_backward)
    assert check.rms_norm_backward(rms_norm_backward_by_module)

    def no_path_through_r(x, w, dy, eps):
        r = (x.pow(2).mean(-1, keepdim=True) + eps).rsqrt()
        return dy * w * r, (dy * x * r).reshape(-1, x.shape[-1]).sum(0)

    def layer_norm_style(x, w, dy, eps):  # subtracts means, as LayerNorm's backward does
        r = (x.pow(2).mean(-1, keepdim=True) + eps).rsqrt()
        xhat, g = x * r, dy * w
        dx = r * (g - g.mean(-1, keepdim=True) - xhat * (g * xhat).mean(-1, keepdim=True))
        return dx, (dy * xhat).reshape(-1, x.shape[-1]).sum(0)

    def weight_grad_per_element(x, w, dy, eps):
        dx, _ = rms_norm_backward(x, w, dy, eps)
        return dx, dy * x * (x.pow(2).mean(-1, keepdim=True) + eps).rsqrt()

    assert not check.rms_norm_backward(no_path_through_r)
    assert not check.rms_norm_backward(layer_norm_style)
    assert not check.rms_norm_backward(weight_grad_per_element)
    assert not check.rms_norm_backward(lambda x, w, dy, eps: rms_norm_backward(x, w, dy, eps)[0])
    assert not check.rms_norm_backward(lambda x, w, dy, eps: None)
    out = capsys.readouterr().out
    assert out.count("✅") == 2 and out.count("❌") == 5
    assert "grad_weight: shape" in out and "expected a pair" in out and "returned None" in out


def test_label_smoothing_backward(capsys):
    assert check.label_smoothing_backward(label_smoothing_backward)

    def spread_over_wrong_classes(logits, targets, eps):  # eps / (V - 1) on the others: not PyTorch's
        N, V = logits.shape
        q = torch.full_like(logits, eps / (V - 1))
        q[torch.arange(N), targets] = 1 - eps
        return (torch.softmax(logits, -1) - q) / N

    def no_mean(logits, targets, eps):
        return label_smoothing_backward(logits, targets, eps) * len(targets)

    def one_hot_only(logits, targets, eps):
        return (torch.softmax(logits, -1) - F.one_hot(targets, logits.shape[-1])) / len(targets)

    def naive_softmax(logits, targets, eps):  # exp without the shift overflows for logits in the hundreds
        e = logits.float().exp()
        p = (e / e.sum(-1, keepdim=True)).double()
        N, V = logits.shape
        q = torch.full_like(logits, eps / V)
        q[torch.arange(N), targets] += 1 - eps
        return (p - q) / N

    for wrong in (spread_over_wrong_classes, no_mean, one_hot_only, naive_softmax):
        assert not check.label_smoothing_backward(wrong), wrong.__name__
    out = capsys.readouterr().out
    assert out.count("✅") == 1 and out.count("❌") == 4


def test_training_flops(capsys):
    assert check.training_flops(training_flops)
    assert check.training_flops(lambda c, n: float(training_flops(c, n)))

    def forward_only(c, n):
        return training_flops(c, n) / 3

    def no_attention(c, n):
        L, C = c.n_layer, c.n_embd
        return 6 * (L * (12 * C * C + 13 * C) + 2 * C) * n

    def approximate_n(c, n):  # 12 L C^2: close, but the convention counts biases and LayerNorms too
        L, T, C = c.n_layer, c.block_size, c.n_embd
        return (6 * 12 * L * C * C + 12 * L * T * C) * n

    def with_embeddings(c, n):
        return training_flops(c, n) + 6 * (c.vocab_size + c.block_size) * c.n_embd * n

    for wrong in (forward_only, no_attention, approximate_n, with_embeddings):
        assert not check.training_flops(wrong), wrong.__name__
    assert not check.training_flops(lambda c, n: "many")
    assert not check.training_flops(lambda c, n: None)
    out = capsys.readouterr().out
    assert out.count("✅") == 2 and out.count("❌") == 6 and "ratio 0.3333" in out and "expected a number" in out


def test_hints_are_graduated_and_give_no_code(hints_give_no_code, capsys):
    solution_code = ["rsqrt(", ".mean(-1", "softmax(logits", "F.one_hot", "full_like", "smoothing / V",
                     "num_params(non_embedding=True)", "12 * L", "* tokens", "torch.device("]
    hints_give_no_code(module, solution_code)
    # a pass starts the count again: the next failure shows the first hint
    assert check.training_flops(training_flops)
    assert not check.training_flops(lambda c, n: 0.0)
    assert "Hint 1 of" in capsys.readouterr().out


def test_quiet_checks_print_nothing(capsys):
    with check.quiet():
        assert check.rms_norm_backward(rms_norm_backward)
        assert not check.label_smoothing_backward(lambda z, t, e: z)
    assert capsys.readouterr().out == ""
