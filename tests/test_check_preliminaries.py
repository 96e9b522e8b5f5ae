"""The checks of preliminaries' exercises accept right answers (written independently of the checks' own
references) and reject typical wrong ones; their hints are graduated and never give the answer away."""
import torch
import torch.nn.functional as F

from lmkit import check
from lmkit.check.preliminaries import HINTS


# ------------------------------------------------------------------ right answers, written out by hand


def tanh_backward(x, grad_out):
    t = torch.tanh(x)
    return grad_out * (1 - t * t)


def tanh_backward_from_exp(x, grad_out):  # d/dx tanh = 4 / (e^x + e^-x)^2, a different formula
    return grad_out * 4 / (x.exp() + (-x).exp()) ** 2


def cross_entropy_backward(logits, targets):
    p = torch.softmax(logits, dim=-1)                              # (N, V)
    p[torch.arange(len(targets)), targets] -= 1
    return p / len(targets)


def adamw_step(p, g, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    b1, b2 = betas
    p = p * (1 - lr * weight_decay)
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    return p - lr * m_hat / (v_hat.sqrt() + eps), m, v


def train_step(model, opt, x, y):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


def train_step_zero_after(model, opt, x, y):  # clearing after the step is as good as before it
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=False)
    return loss                                                    # a 0-dim tensor is a number too


# ----------------------------------------------------------------------------------------- the checks


def test_tanh_backward_against_autograd_and_wrong_rules():
    x = torch.linspace(-3, 3, 7, dtype=torch.float64, requires_grad=True)
    torch.tanh(x).sum().backward()
    assert torch.allclose(tanh_backward(x.detach(), torch.ones(7, dtype=torch.float64)), x.grad)
    with check.quiet():
        assert check.tanh_backward(tanh_backward)
        assert check.tanh_backward(tanh_backward_from_exp)
        assert not check.tanh_backward(lambda x, g: 1 - torch.tanh(x) ** 2)      # grad_out ignored
        assert not check.tanh_backward(lambda x, g: g * (1 - x ** 2))             # x instead of tanh(x)
        assert not check.tanh_backward(lambda x, g: g * (1 - torch.tanh(x)))      # no square
        assert not check.tanh_backward(lambda x, g: (g * (1 - torch.tanh(x) ** 2)).sum())  # summed


def test_cross_entropy_backward():
    logits, targets = torch.randn(5, 4, dtype=torch.float64, requires_grad=True), torch.tensor([0, 1, 3, 3, 2])
    F.cross_entropy(logits, targets).backward()
    assert torch.allclose(cross_entropy_backward(logits.detach().clone(), targets), logits.grad)

    def naive(logits, targets):  # exp without the shift: overflows for large logits
        e = logits.exp()
        return (e / e.sum(-1, keepdim=True) - F.one_hot(targets, logits.shape[-1])) / len(targets)

    def per_example(logits, targets):  # forgets the 1/N of the mean
        return torch.softmax(logits, -1) - F.one_hot(targets, logits.shape[-1])

    with check.quiet():
        assert check.cross_entropy_backward(cross_entropy_backward)
        assert not check.cross_entropy_backward(naive)
        assert not check.cross_entropy_backward(per_example)
        assert not check.cross_entropy_backward(lambda z, t: -cross_entropy_backward(z, t))   # sign
        assert not check.cross_entropy_backward(lambda z, t: torch.softmax(z, -1) / len(t))   # no one-hot
        assert not check.cross_entropy_backward(lambda z, t: per_example(z, t) / z.shape[-1])  # / V


def test_adamw_step():
    def adam_l2(p, g, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):  # Adam + L2: not AdamW
        return adamw_step(p, g + weight_decay * p, m, v, t, lr, betas, eps, 0.0)

    def decay_after(p, g, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        p, m, v = adamw_step(p, g, m, v, t, lr, betas, eps, 0.0)
        return p * (1 - lr * weight_decay), m, v

    def no_bias_correction(p, g, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        b1, b2 = betas
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        return p * (1 - lr * weight_decay) - lr * m / (v.sqrt() + eps), m, v

    def decay_without_lr(p, g, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        return adamw_step(p * (1 - weight_decay), g, m, v, t, lr, betas, eps, 0.0)

    with check.quiet():
        assert check.adamw_step(adamw_step)
        for wrong in (adam_l2, decay_after, no_bias_correction, decay_without_lr):
            assert not check.adamw_step(wrong), wrong.__name__
        assert not check.adamw_step(lambda p, g, m, v, t, **kw: adamw_step(p, g, m, v, t + 1, **kw))  # t off by one
        assert not check.adamw_step(lambda p, g, m, v, t, **kw: adamw_step(p, g, m, v, t, **kw)[0])   # p only


def test_train_step():
    def no_zero_grad(model, opt, x, y):
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    def step_first(model, opt, x, y):
        opt.zero_grad()
        opt.step()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        return loss.item()

    def loss_after(model, opt, x, y):
        train_step(model, opt, x, y)
        return F.cross_entropy(model(x), y).item()

    def mse(model, opt, x, y):
        opt.zero_grad()
        loss = F.mse_loss(model(x), F.one_hot(y, 4).float())
        loss.backward()
        opt.step()
        return loss.item()

    before = torch.random.get_rng_state()
    with check.quiet():
        assert check.train_step(train_step)
        assert check.train_step(train_step_zero_after)
        for wrong in (no_zero_grad, step_first, loss_after, mse):
            assert not check.train_step(wrong), wrong.__name__
        assert not check.train_step(lambda model, opt, x, y: None)                     # the step, but no loss
    assert torch.equal(before, torch.random.get_rng_state())                         # the reader's random state


# ------------------------------------------------------------------------------------------- the hints


def _first_and_second_failure(capsys, name, right, wrong):
    """Fail a check twice after a pass: the first failure shows hint 1, the second hint 2."""
    fn = getattr(check, name)
    assert fn(right)  # a pass starts the hints again
    capsys.readouterr()
    assert not fn(wrong)
    first = capsys.readouterr().out
    assert not fn(wrong)
    second = capsys.readouterr().out
    return first, second


def test_hints_are_graduated_and_never_give_the_answer(capsys):
    assert set(HINTS) == set(check.preliminaries.__all__)
    for name, hints in HINTS.items():
        assert isinstance(hints, list) and 2 <= len(hints) <= 3, name
        assert len(set(hints)) == len(hints), name
    answers = ["1 - t", "1 - torch.tanh", "tanh(x) ** 2", "softmax(logits", "one_hot(", "/ len(", "(1 - lr",
               "lr * weight_decay", "b1 ** t", "1 - b1", ".sqrt()", "loss.backward()", "opt.step()",
               "F.cross_entropy(model"]
    for name, hints in HINTS.items():
        for hint in hints:
            assert not [a for a in answers if a in hint], (name, hint)

    cases = {"tanh_backward": (tanh_backward, lambda x, g: g),
             "cross_entropy_backward": (cross_entropy_backward, lambda z, t: torch.softmax(z, -1)),
             "adamw_step": (adamw_step, lambda p, g, m, v, t, **kw: (p, m, v)),
             "train_step": (train_step, lambda model, opt, x, y: 0.0)}
    for name, (right, wrong) in cases.items():
        first, second = _first_and_second_failure(capsys, name, right, wrong)
        k = len(HINTS[name])
        assert f"Hint 1 of {k}: {HINTS[name][0]}" in first, first
        assert f"Hint 2 of {k}: {HINTS[name][1]}" in second, second
        assert "Hint 2 of" not in first and "more specific hint" in first
