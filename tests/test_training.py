"""lmkit.train: the schedule by its formula, evaluation against a direct computation, a loop that learns."""
import math

import pytest
import torch

from lmkit.model import GPT, GPTConfig
from lmkit.training import TrainConfig, configure_optimizer, evaluate, lr_schedule, set_seed, train


def test_lr_schedule_shape():
    kw = dict(lr=1e-3, min_lr=1e-4, warmup_iters=10, max_iters=110)
    assert lr_schedule(0, **kw) == pytest.approx(1e-4)
    assert lr_schedule(9, **kw) == pytest.approx(1e-3)
    assert lr_schedule(10, **kw) == pytest.approx(1e-3)
    assert lr_schedule(60, **kw) == pytest.approx(0.55e-3)  # halfway: the mean of lr and min_lr
    assert lr_schedule(110, **kw) == pytest.approx(1e-4)
    assert lr_schedule(500, **kw) == pytest.approx(1e-4)
    with pytest.raises(ValueError, match="warmup_iters"):
        lr_schedule(0, lr=1, min_lr=0, warmup_iters=5, max_iters=2)


def test_weight_decay_only_on_matrices():
    m = GPT(GPTConfig(vocab_size=10, block_size=4, n_layer=1, n_head=1, n_embd=4))
    opt = configure_optimizer(m, lr=1e-3, weight_decay=0.1)
    decay, no_decay = opt.param_groups
    assert all(p.dim() == 2 for p in decay["params"]) and all(p.dim() == 1 for p in no_decay["params"])
    assert sum(p.numel() for g in opt.param_groups for p in g["params"]) == m.num_params()


def test_evaluate_equals_direct_loss():
    set_seed(0)
    m = GPT(GPTConfig(vocab_size=7, block_size=5, n_layer=1, n_head=1, n_embd=8)).eval()
    data = torch.randint(0, 7, (23,))
    # direct: every target from position 1 on, predicted from its own block of 5
    total, count = 0.0, 0
    for s in range(0, 22, 5):
        x, y = data[s:min(s + 5, 22)], data[s + 1:min(s + 6, 23)]
        logits, _ = m(x[None])
        total += torch.nn.functional.cross_entropy(logits[0], y, reduction="sum").item()
        count += len(y)
    assert count == 22
    assert evaluate(m, data, batch_size=2) == pytest.approx(total / count, rel=1e-6)


def test_training_learns_a_repeating_pattern():
    set_seed(0)
    data = torch.tensor([0, 1, 2, 3, 4, 5] * 200)
    m = GPT(GPTConfig(vocab_size=6, block_size=8, n_layer=1, n_head=2, n_embd=16))
    seen = []
    cfg = TrainConfig(max_iters=150, batch_size=8, lr=1e-2, warmup_iters=10, eval_interval=50, eval_iters=2)
    hist = train(m, data[:1000], data[1000:], cfg, progress=False, callback=lambda it, model: seen.append(it))
    assert seen == [0, 50, 100, 150]
    assert hist.steps == 150 and len(hist.lr) == 150 and hist.tokens == 150 * 8 * 8
    assert hist.iters == [0, 50, 100, 150]
    assert hist.val_loss[0] > 1.5  # about ln 6 = 1.79 at the start
    assert hist.val_loss[-1] < 0.05  # a deterministic sequence is learned
    assert hist.tokens_per_second > 0


def test_max_seconds_stops_early_and_nan_is_reported():
    m = GPT(GPTConfig(vocab_size=6, block_size=4, n_layer=1, n_head=1, n_embd=8))
    data = torch.randint(0, 6, (100,))
    hist = train(m, data, config=TrainConfig(max_iters=10_000, batch_size=2, eval_interval=0, max_seconds=0.2),
                 progress=False)
    assert 0 < hist.steps < 10_000
    with torch.no_grad():
        m.transformer.wte.weight.fill_(math.nan)
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        train(m, data, config=TrainConfig(max_iters=3, batch_size=2, warmup_iters=1, eval_interval=0), progress=False)


def test_set_seed_reproduces():
    set_seed(5)
    a = torch.rand(3)
    set_seed(5)
    assert torch.equal(a, torch.rand(3))
    with pytest.raises(ValueError):
        set_seed("x")


def test_bfloat16_autocast_trains_and_keeps_float32_weights():
    set_seed(0)
    data = torch.tensor([0, 1, 2, 3, 4, 5] * 200)
    m = GPT(GPTConfig(vocab_size=6, block_size=8, n_layer=1, n_head=2, n_embd=16))
    hist = train(m, data, config=TrainConfig(max_iters=60, batch_size=8, lr=1e-2, warmup_iters=5, eval_interval=0,
                                             dtype="bfloat16"), progress=False)
    assert hist.step_loss[-1] < 0.5 * hist.step_loss[0]
    assert all(p.dtype == torch.float32 for p in m.parameters())
    with pytest.raises(ValueError, match="dtype must be one of"):
        TrainConfig(dtype="fp8")


def _tiny_run(compile: bool) -> list[float]:
    set_seed(0)
    data = torch.tensor([0, 1, 2, 3, 4, 5] * 200)
    m = GPT(GPTConfig(vocab_size=6, block_size=8, n_layer=1, n_head=2, n_embd=16))
    return train(m, data, config=TrainConfig(max_iters=12, batch_size=4, lr=1e-2, warmup_iters=2, eval_interval=0,
                                             compile=compile), progress=False).step_loss


def test_compile_trains_like_the_plain_model():
    torch._dynamo.reset()
    compiled = _tiny_run(compile=True)
    assert compiled == pytest.approx(_tiny_run(compile=False), abs=1e-4)


def test_compile_falls_back_with_a_warning_when_compiling_fails(monkeypatch):
    class Broken(torch.nn.Module):  # what torch.compile returns where no C++ compiler exists: fails when called
        def forward(self, *args):
            raise RuntimeError("InductorError: no working C++ compiler found")

    monkeypatch.setattr(torch, "compile", lambda model, **kw: Broken())
    with pytest.warns(UserWarning, match="torch.compile failed .*no working C\\+\\+ compiler.*training without"):
        fallen_back = _tiny_run(compile=True)
    assert fallen_back == _tiny_run(compile=False)  # the same steps, exactly


def test_muon_takes_the_blocks_matrices_and_trains():
    from lmkit.training import MuonWithAdamW
    set_seed(0)
    m = GPT(GPTConfig(vocab_size=6, block_size=8, n_layer=2, n_head=2, n_embd=16))
    opt = configure_optimizer(m, lr=1e-3, muon_lr=1e-2)
    assert isinstance(opt, MuonWithAdamW)
    in_muon = {id(p) for g in opt.muon.param_groups for p in g["params"]}
    blocks = {id(mod.weight) for mod in m.transformer.h.modules() if isinstance(mod, torch.nn.Linear)}
    assert in_muon == blocks  # every linear matrix of the blocks, and not the tied token table / output layer
    in_adamw = [p for g in opt.adamw.param_groups for p in g["params"]]
    assert len(in_muon) + len(in_adamw) == len(list(m.parameters()))
    assert [g["peak_lr"] for g in opt.param_groups] == [1e-2] + [1e-3, 1e-3]
    data = torch.tensor([0, 1, 2, 3, 4, 5] * 200)
    hist = train(m, data, config=TrainConfig(max_iters=60, batch_size=8, lr=1e-2, min_lr=0.0, warmup_iters=5,
                                             eval_interval=0, optimizer="muon", muon_lr=2e-2), progress=False)
    assert hist.step_loss[-1] < 0.3 * hist.step_loss[0]
    with pytest.raises(ValueError, match="optimizer must be one of"):
        TrainConfig(optimizer="sgd")


def test_time_schedule_ends_its_cosine_when_the_time_does():
    set_seed(0)
    data = torch.tensor([0, 1, 2, 3, 4, 5] * 200)
    m = GPT(GPTConfig(vocab_size=6, block_size=8, n_layer=1, n_head=2, n_embd=16))
    c = TrainConfig(max_iters=10**6, batch_size=4, lr=1e-2, min_lr=0.0, warmup_iters=3, eval_interval=0,
                    max_seconds=1.0, schedule="time")
    hist = train(m, data, config=c, progress=False)
    assert 1.0 <= hist.train_seconds < 2.0 and 10 < hist.steps < 10**6  # stopped by the clock
    assert hist.lr[:3] == pytest.approx([1e-2 / 3, 2e-2 / 3, 1e-2])  # the warmup counts steps
    assert all(a >= b for a, b in zip(hist.lr[3:], hist.lr[4:]))  # then the cosine only falls
    assert hist.lr[-1] < 0.01 * c.lr  # ... to about zero at the end of the budget
    with pytest.raises(ValueError, match="set max_seconds"):
        TrainConfig(schedule="time")
    with pytest.raises(ValueError, match="schedule must be one of"):
        TrainConfig(schedule="linear", max_seconds=1.0)


def test_pick_device_and_native_bf16():
    from lmkit.training import native_bf16, pick_device
    device = pick_device()
    assert isinstance(device, torch.device) and device.type in ("cpu", "cuda", "mps")
    assert isinstance(native_bf16("cpu"), bool)
    assert native_bf16("meta") is False
