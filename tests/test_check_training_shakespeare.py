"""The checks of training_shakespeare's exercises accept the reference and reject typical wrong answers."""

from lmkit import check
from lmkit.data import get_batch
from lmkit.training import lr_schedule

def test_schedule_and_batches():
    assert check.lr_schedule(lambda it: lr_schedule(it, lr=1e-3, min_lr=1e-4, warmup_iters=100, max_iters=2000))
    assert not check.lr_schedule(lambda it: 1e-3)
    assert check.get_batch(lambda d, b, t, g: get_batch(d, b, t, generator=g))
    assert not check.get_batch(lambda d, b, t, g: (d[:t].repeat(b, 1), d[:t].repeat(b, 1)))
