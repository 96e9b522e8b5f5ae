"""lmkit.check.ffn_residual_norm: right answers pass, typical wrong ones fail, and a check never raises."""
import math

import torch
import torch.nn as nn

from lmkit import check


def test_layer_norm(capsys):
    def right(x, w, b, eps):  # written from the formula, independently of F.layer_norm
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        return (x - mu) / torch.sqrt(var + eps) * w + b

    def via_module(x, w, b, eps):
        ln = nn.LayerNorm(x.shape[-1], eps=eps)
        with torch.no_grad():
            ln.weight.copy_(w)
            ln.bias.copy_(b)
            return ln(x)

    assert check.layer_norm(right) and check.layer_norm(via_module)
    assert not check.layer_norm(lambda x, w, b, eps: (x - x.mean(-1, keepdim=True)) / torch.sqrt(
        x.var(-1, keepdim=True) + eps) * w + b)  # unbiased variance (divides by C - 1)
    assert not check.layer_norm(lambda x, w, b, eps: right(x, 1 + 0 * w, 0 * b, eps))  # forgot the affine part
    assert not check.layer_norm(lambda x, w, b, eps: (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + eps)
                                * w + b)  # statistics over the batch (BatchNorm), not over the channels
    out = capsys.readouterr().out
    assert out.count("✅") == 2 and out.count("❌") == 3 and "Hint" in out


def test_ffn_forward(capsys):
    def gelu_tanh(u):
        return 0.5 * u * (1 + torch.tanh(math.sqrt(2 / math.pi) * (u + 0.044715 * u**3)))

    def right(x, w1, b1, w2, b2):
        return gelu_tanh(x @ w1.T + b1) @ w2.T + b2

    assert check.ffn_forward(right)
    assert not check.ffn_forward(lambda x, w1, b1, w2, b2: torch.relu(x @ w1.T + b1) @ w2.T + b2)  # ReLU
    assert not check.ffn_forward(lambda x, w1, b1, w2, b2: nn.functional.gelu(x @ w1.T + b1) @ w2.T + b2)  # exact GELU
    assert not check.ffn_forward(lambda x, w1, b1, w2, b2: x @ w1.T)  # wrong shape: (B, T, 4C)
    out = capsys.readouterr().out
    assert out.count("✅") == 1 and out.count("❌") == 3 and "shape" in out


def test_pre_norm_block(capsys):
    def right(block, x):
        x = x + block.attn(block.ln_1(x))
        return x + block.mlp(block.ln_2(x))

    def post_norm(block, x):
        x = block.ln_1(x + block.attn(x))
        return block.ln_2(x + block.mlp(x))

    state = torch.get_rng_state()
    assert check.pre_norm_block(right)
    assert torch.equal(state, torch.get_rng_state())  # the check leaves the global random state alone
    assert not check.pre_norm_block(post_norm)
    assert not check.pre_norm_block(lambda block, x: block.mlp(block.ln_2(block.attn(block.ln_1(x)))))  # no residual
    assert not check.pre_norm_block(lambda block, x: x + block.attn(block.ln_1(x)))  # forgot the MLP

    def stub(block, x):
        raise NotImplementedError

    assert not check.pre_norm_block(stub)
    out = capsys.readouterr().out
    assert out.count("✅") == 1 and out.count("❌") == 4 and "not implemented yet" in out


def test_stable_cross_entropy(capsys):
    def right(logits, targets):  # log-sum-exp with the maximum subtracted
        m = logits.max(-1, keepdim=True).values
        lse = m + torch.log(torch.exp(logits - m).sum(-1, keepdim=True))
        return -(logits - lse)[torch.arange(len(targets)), targets].mean()

    def naive(logits, targets):  # overflows for large logits
        p = torch.exp(logits) / torch.exp(logits).sum(-1, keepdim=True)
        return -torch.log(p[torch.arange(len(targets)), targets]).mean()

    assert check.stable_cross_entropy(right)
    assert check.stable_cross_entropy(lambda lo, t: -torch.log_softmax(lo, -1).gather(1, t[:, None]).mean())
    assert not check.stable_cross_entropy(naive)
    assert not check.stable_cross_entropy(lambda lo, t: -(lo - torch.logsumexp(lo, -1, keepdim=True))
                                          [torch.arange(len(t)), t])  # no mean: one loss per position
    assert not check.stable_cross_entropy(lambda lo, t: -(lo - torch.logsumexp(lo, 0, keepdim=True))
                                          [torch.arange(len(t)), t].mean())  # normalized over the wrong axis
    assert not check.stable_cross_entropy(lambda lo, t: None)
    assert not check.stable_cross_entropy(42)
    out = capsys.readouterr().out
    assert out.count("✅") == 2 and "overflows" in out and "returned None" in out and "expected a function" in out


def test_hints_are_graduated_and_give_no_code(hints_give_no_code, capsys):
    from lmkit.check import ffn_residual_norm as module

    solution_code = ["x.mean(", "torch.sqrt(", "w1.T", "approximate='tanh'", 'approximate="tanh"',
                     "block.attn(block.ln_1", "x + block", "logsumexp(", ".mean()", "range(N)"]
    hints_give_no_code(module, solution_code)
    # a pass starts the count again: the next failure shows the first hint
    assert check.layer_norm(lambda x, w, b, eps: nn.functional.layer_norm(x, x.shape[-1:], w, b, eps))
    assert not check.layer_norm(lambda x, w, b, eps: x)
    assert "Hint 1 of" in capsys.readouterr().out
