"""The blocks_and_batches checks accept correct answers and reject typical wrong ones, without raising,
and hint in steps without giving the answer away."""
import pytest
import torch
import torch.nn.functional as F

from lmkit import check
from lmkit.check import blocks_and_batches
from lmkit.data import get_batch


def test_make_xy(capsys):
    assert check.make_xy(lambda ids, i, T: (ids[i:i + T], ids[i + 1:i + T + 1]))
    assert check.make_xy(lambda ids, i, T: (list(ids[i:i + T].tolist()), ids[i + 1:i + T + 1].tolist()))  # lists too
    assert not check.make_xy(lambda ids, i, T: (ids[i:i + T], ids[i:i + T]))              # targets not shifted
    assert not check.make_xy(lambda ids, i, T: (ids[i:i + T], ids[i + 1:i + T]))          # one target short
    assert not check.make_xy(lambda ids, i, T: ids[i:i + T])                              # not a pair
    assert not check.make_xy(lambda ids, i, T: None)
    out = capsys.readouterr().out
    assert out.count("✅") == 2 and out.count("❌") == 4 and "Hint" in out


def test_batch_from_offsets_agrees_with_get_batch(capsys):
    def mine(data, offsets, T):
        idx = offsets[:, None] + torch.arange(T)                     # (B, T)
        return data[idx], data[idx + 1]

    assert check.batch_from_offsets(mine)
    # the same offsets as lmkit.get_batch draws give the same batch
    data = torch.randint(65, (300,), generator=torch.Generator().manual_seed(5))
    ix = torch.randint(len(data) - 8, (4,), generator=torch.Generator().manual_seed(0))
    x, y = get_batch(data, 4, 8, generator=torch.Generator().manual_seed(0))
    mx, my = mine(data, ix, 8)
    assert torch.equal(mx, x) and torch.equal(my, y)
    assert not check.batch_from_offsets(lambda d, o, T: (d[o[:, None] + torch.arange(T)],) * 2)  # y not shifted
    assert not check.batch_from_offsets(lambda d, o, T: mine(d, o, T + 1))                      # off by one in T
    capsys.readouterr()


def test_per_position_loss(capsys):
    def mine(logits, targets):
        logp = torch.log_softmax(logits, dim=-1)                     # (B, T, V)
        return -logp.gather(-1, targets[..., None])[..., 0].mean(0)  # (T,)

    assert check.per_position_loss(mine)
    # its mean is the usual loss (a property, against F.cross_entropy)
    logits, targets = torch.randn(3, 5, 7), torch.randint(7, (3, 5))
    assert torch.allclose(mine(logits, targets).mean(), F.cross_entropy(logits.flatten(0, 1), targets.flatten()))
    assert not check.per_position_loss(lambda lg, t: F.cross_entropy(lg.transpose(1, 2), t, reduction="none").mean(1))
    assert not check.per_position_loss(lambda lg, t: -lg.gather(-1, t[..., None])[..., 0].mean(0))  # no log-softmax
    assert not check.per_position_loss(lambda lg, t: F.cross_entropy(lg.flatten(0, 1), t.flatten()))  # a scalar
    capsys.readouterr()


def test_split_blocks(capsys):
    def mine(ids, T):
        n = (len(ids) - 1) // T
        return ids[:n * T].view(n, T), ids[1:n * T + 1].view(n, T)

    def loop(ids, T):  # a different, brute-force construction
        xs, ys, i = [], [], 0
        while i + T + 1 <= len(ids):
            xs.append(ids[i:i + T])
            ys.append(ids[i + 1:i + T + 1])
            i += T
        return torch.stack(xs), torch.stack(ys)

    assert check.split_blocks(mine)
    assert check.split_blocks(loop)
    assert not check.split_blocks(lambda ids, T: mine(ids[:-1], T) if len(ids) % T else mine(ids, T))
    assert not check.split_blocks(lambda ids, T: (ids[:len(ids) // T * T].view(-1, T),) * 2)  # no shift
    capsys.readouterr()



# solution code that no hint may contain (the hints point the way, they do not give the answer)
ANSWERS = ["ids[i", "i + T", "i+T", "i + 1 :", "ids[1:", ".view(", "reshape(", "F.cross_entropy(",
           "reduction='none'", 'reduction="none"', ".mean(0)", "gather(", "log_softmax(", "torch.arange(",
           "offsets[:, None]", "torch.stack(", "(len(ids) - 1) // T", "// T", "transpose("]


def test_hints_are_graduated_and_never_the_answer():
    assert set(blocks_and_batches.HINTS) == set(blocks_and_batches.__all__)
    for name, hints in blocks_and_batches.HINTS.items():
        assert isinstance(hints, list) and 2 <= len(hints) <= 3, name
        assert len(set(hints)) == len(hints), f"{name}: a hint is repeated"
        for hint in hints:
            leaked = [a for a in ANSWERS if a in hint]
            assert not leaked, f"{name}: a hint contains solution code {leaked}: {hint!r}"


def _split(ids, T):
    n = (len(ids) - 1) // T
    return ids[:n * T].view(n, T), ids[1:n * T + 1].view(n, T)


@pytest.mark.parametrize("name, right, wrong", [
    ("make_xy", lambda ids, i, T: (ids[i:i + T], ids[i + 1:i + T + 1]), lambda ids, i, T: (ids[i:i + T],) * 2),
    ("batch_from_offsets", lambda d, o, T: (d[o[:, None] + torch.arange(T)], d[o[:, None] + torch.arange(T) + 1]),
     lambda d, o, T: (d[o[:, None] + torch.arange(T)],) * 2),
    ("per_position_loss", lambda lg, t: F.cross_entropy(lg.transpose(1, 2), t, reduction="none").mean(0),
     lambda lg, t: F.cross_entropy(lg.transpose(1, 2), t, reduction="none").mean(1)),
    ("split_blocks", _split, lambda ids, T: (ids[:len(ids) // T * T].view(-1, T),) * 2),
])
def test_each_failure_gives_the_next_hint(name, right, wrong, capsys):
    fn = getattr(check, name)
    n = len(blocks_and_batches.HINTS[name])
    assert fn(right)                                    # a pass starts the count again
    capsys.readouterr()
    for k in range(1, n + 2):
        assert not fn(wrong)
        out = capsys.readouterr().out
        assert f"Hint {min(k, n)} of {n}:" in out, out  # then it stays at the last, most specific one
        assert blocks_and_batches.HINTS[name][min(k, n) - 1] in out
    with check.quiet():                                 # quiet runs print nothing and do not count
        assert not fn(wrong)
    assert capsys.readouterr().out == ""
    assert fn(right)
    capsys.readouterr()
    assert not fn(wrong)
    assert "Hint 1 of" in capsys.readouterr().out
