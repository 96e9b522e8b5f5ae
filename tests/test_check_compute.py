"""lmkit.check.compute: right answers pass, typical wrong ones fail, and a check never raises."""
import torch

from lmkit import check
from lmkit.distributed import allreduce_mean


def test_flops_per_token(capsys):
    assert check.flops_per_token(lambda N, L, T, C: 6 * N + 12 * L * T * C)
    assert check.flops_per_token(lambda N, L, T, C: 2 * N * 3 + 2 * 2 * L * T * C * 3)
    assert not check.flops_per_token(lambda N, L, T, C: 6 * N)  # forgot attention
    assert not check.flops_per_token(lambda N, L, T, C: 2 * N + 4 * L * T * C)  # forward pass only
    assert not check.flops_per_token(lambda N, L, T, C: 6 * N + 6 * L * T * C)  # one attention product
    assert not check.flops_per_token(lambda N, L, T, C: None)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "returned None" in out


def test_zero_memory_per_gpu(capsys):
    def right(n, g, s):
        w, gr, st = 2, 2, 12
        return n * (w / (g if s >= 3 else 1) + gr / (g if s >= 2 else 1) + st / (g if s >= 1 else 1))

    assert check.zero_memory_per_gpu(right)
    assert not check.zero_memory_per_gpu(lambda n, g, s: 16 * n)  # never splits
    assert not check.zero_memory_per_gpu(lambda n, g, s: 16 * n / g)  # splits everything at every stage
    assert not check.zero_memory_per_gpu(lambda n, g, s: right(n, g, s) / 1e9)  # gigabytes, not bytes
    assert not check.zero_memory_per_gpu(lambda n, g, s: right(n, g, min(3, s + 1)))  # off by one stage

    def stub(n, g, s):
        raise NotImplementedError

    assert not check.zero_memory_per_gpu(stub)
    assert "not implemented yet" in capsys.readouterr().out


def test_allreduce_mean(capsys):
    assert check.allreduce_mean(allreduce_mean)
    assert check.allreduce_mean(lambda gs: [torch.stack(t).mean(0) for t in zip(*gs)])
    assert not check.allreduce_mean(lambda gs: [torch.stack(t).sum(0) for t in zip(*gs)])  # sum, not mean
    assert not check.allreduce_mean(lambda gs: gs[0])  # rank 0's own gradient
    assert not check.allreduce_mean(lambda gs: [sum(t) / len(t) for t in gs])  # averaged over parameters
    assert not check.allreduce_mean(lambda gs: 1 / 0)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "ZeroDivisionError" in out
