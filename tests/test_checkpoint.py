"""Checkpoints: GPT.save / GPT.load round-trip exactly, load never runs code, and junk is refused clearly."""
from __future__ import annotations

import os

import pytest
import torch

from lmkit import GPT, GPTConfig
from lmkit.training import TrainConfig, train

CFG = GPTConfig(vocab_size=13, block_size=8, n_layer=2, n_head=2, n_embd=16, dropout=0.1)


def _trained() -> GPT:
    torch.manual_seed(0)
    m = GPT(CFG)
    train(m, torch.arange(400) % 13, config=TrainConfig(max_iters=5, warmup_iters=1, eval_interval=100), progress=False)
    return m


def test_round_trip_is_exact(tmp_path):
    m = _trained()  # trained weights, not the initialisation a fresh model would reproduce anyway
    m.save(tmp_path / "m.pt")
    m2 = GPT.load(tmp_path / "m.pt")
    assert m2.config == m.config
    assert m.state_dict().keys() == m2.state_dict().keys()
    for name, p in m.state_dict().items():
        assert torch.equal(p, m2.state_dict()[name]), name
    m.eval(), m2.eval()
    idx = torch.randint(0, 13, (3, 8), generator=torch.Generator().manual_seed(1))
    assert torch.equal(m(idx)[0], m2(idx)[0])
    # the output layer is still tied to the token embedding, not a copy of it
    assert m2.lm_head.weight.data_ptr() == m2.transformer.wte.weight.data_ptr()


def test_load_uses_weights_only(tmp_path, monkeypatch):
    m = _trained()
    m.save(tmp_path / "m.pt")
    seen = {}
    real_load = torch.load

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    GPT.load(tmp_path / "m.pt")
    assert seen.get("weights_only") is True


class _Exploit:
    """A pickle that would create a file when unpickled by a trusting loader."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (os.makedirs, (self.target,))


def test_a_malicious_pickle_is_refused_and_runs_nothing(tmp_path):
    target = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"config": {}, "state_dict": _Exploit(target)}, path)
    with pytest.raises(ValueError, match="not a checkpoint written by GPT.save"):
        GPT.load(path)
    assert not target.exists()


@pytest.mark.parametrize("content, match", [
    (b"not a checkpoint", "not a checkpoint written by GPT.save"),
    (b"", "not a checkpoint written by GPT.save"),
])
def test_junk_bytes_are_refused(tmp_path, content, match):
    path = tmp_path / "junk.pt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        GPT.load(path)
    assert "junk.pt" in str(info.value)


@pytest.mark.parametrize("obj, match", [
    (torch.zeros(3), "no config/state_dict"),
    ({"state_dict": {}}, "no config/state_dict"),
    ({"config": {"vocab_size": 13, "n_heads": 2}, "state_dict": {}}, "config"),
    ({"config": {"vocab_size": 13, "block_size": 8, "n_layer": 1, "n_head": 2, "n_embd": 16}, "state_dict": {}},
     "state_dict"),
])
def test_torch_files_that_are_not_checkpoints_are_refused(tmp_path, obj, match):
    path = tmp_path / "other.pt"
    torch.save(obj, path)
    with pytest.raises(ValueError, match=match):
        GPT.load(path)


def test_a_state_dict_from_another_shape_is_refused(tmp_path):
    m = GPT(CFG)
    ckpt = {"config": {**m.config.__dict__, "n_embd": 32}, "state_dict": m.state_dict()}
    torch.save(ckpt, tmp_path / "m.pt")
    with pytest.raises(ValueError, match="state_dict"):
        GPT.load(tmp_path / "m.pt")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no-such.pt"):
        GPT.load(tmp_path / "no-such.pt")


def test_save_into_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing"):
        GPT(CFG).save(tmp_path / "missing" / "m.pt")
