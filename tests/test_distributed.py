"""lmkit.distributed and lmkit.train under torchrun: two gloo processes on this machine give the one-process
gradient and the one-process losses on the same global batch.

The two processes are started once for the whole module (one ``torchrun``, both tasks, a tiny GPT on a
synthetic token stream): a few seconds of work, most of it two Python processes importing torch.
"""
import json

import pytest
import torch
import torch.distributed as dist

from lmkit import distributed as D
from lmkit.model import GPT
from lmkit.training import TrainConfig, rank_and_world, train

pytestmark = pytest.mark.skipif(not (dist.is_available() and dist.is_gloo_available()),
                                reason="torch.distributed with the gloo backend is not available")


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    D.launch("both", out, nproc=2, timeout=240, data="toy", steps=8, batch_size=8, block_size=16)
    return out


def _load(path):
    return torch.load(path, weights_only=False)


def test_gradients_after_allreduce_equal_one_process_gradient(two_processes):
    r0, r1 = _load(two_processes / "grads_rank0.pt"), _load(two_processes / "grads_rank1.pt")
    # every rank holds the same gradient after the all-reduce ...
    assert all(torch.equal(a, b) for a, b in zip(r0["reduced"], r1["reduced"]))
    # ... although each computed a different one from its own half of the batch
    assert any(not torch.allclose(a, b) for a, b in zip(r0["local"], r1["local"]))
    # the all-reduce is the mean of the local gradients
    mean = D.allreduce_mean([r0["local"], r1["local"]])
    assert all(torch.allclose(m, a, atol=1e-6) for m, a in zip(mean, r0["reduced"]))
    # and that is the gradient of one process on the whole global batch
    model = GPT(r0["config"])
    model.load_state_dict(r0["state"])
    model(r0["x"], r0["y"])[1].backward()
    assert all(torch.allclose(p.grad, a, atol=1e-6, rtol=1e-4) for p, a in zip(model.parameters(), r0["reduced"]))


def test_lmkit_train_under_torchrun_gives_the_one_process_losses(two_processes):
    ddp = json.loads((two_processes / "train_world2.json").read_text())
    start = _load(two_processes / "train_start.pt")
    model = GPT(start["config"])
    model.load_state_dict(start["start"])
    one = train(model, D.toy_data(), None, start["train_config"], progress=False)
    assert ddp["world"] == 2 and len(ddp["step_loss"]) == len(one.step_loss) == 8
    assert max(abs(a - b) for a, b in zip(one.step_loss, ddp["step_loss"])) < 1e-4
    assert one.step_loss[-1] < one.step_loss[0]  # and it learns
    assert ddp["tokens"] == one.tokens == 8 * 8 * 16  # global tokens, counted once


def test_allreduce_mean_by_hand():
    a, b = [torch.tensor([1.0, 2.0]), torch.ones(2, 2)], [torch.tensor([3.0, 6.0]), torch.zeros(2, 2)]
    got = D.allreduce_mean([a, b])
    assert torch.equal(got[0], torch.tensor([2.0, 4.0])) and torch.equal(got[1], torch.full((2, 2), 0.5))
    with pytest.raises(ValueError, match="one list of gradients per rank"):
        D.allreduce_mean([a, b[:1]])


def test_one_process_is_not_distributed():
    assert rank_and_world() == (0, 1)


def test_clear_errors(monkeypatch, tmp_path):
    monkeypatch.delenv("RANK", raising=False)
    with pytest.raises(ValueError, match="start me with torchrun"):
        D.main(["train", "--out", str(tmp_path)])
    with pytest.raises(ValueError, match="task"):
        D.launch("fit", tmp_path)


def test_train_rejects_a_batch_that_does_not_split(monkeypatch):
    import lmkit.training as T

    monkeypatch.setattr(T, "rank_and_world", lambda: (0, 2))
    model = GPT(D.tiny_config(65, 16))
    with pytest.raises(ValueError, match="multiple of the 2 processes"):
        config = TrainConfig(max_iters=1, batch_size=3, block_size=16, warmup_iters=0)
        train(model, D.toy_data(1000), None, config, progress=False)
