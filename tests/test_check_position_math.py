"""lmkit.check.position_math: right answers pass, typical wrong ones fail, and a check never raises."""
import math

import torch

from lmkit import check
from lmkit.positional import apply_rope, frequencies, rope_cos_sin, sinusoidal_encoding

# ------------------------------------------------------------------ answers written independently of the module


def shift_matrix_concat_right(k, d, base=10000.0):
    """M_k for the table [sin(pos ω_0) .. sin(pos ω_(d/2-1)) | cos(pos ω_0) .. cos(pos ω_(d/2-1))]."""
    M = torch.zeros(d, d, dtype=torch.float64)
    for i in range(d // 2):
        a = k / base ** (2 * i / d)
        M[i, i], M[i, i + d // 2] = math.cos(a), math.sin(a)
        M[i + d // 2, i], M[i + d // 2, i + d // 2] = -math.sin(a), math.cos(a)
    return M


def rope_pairs_right(x, pos, base=10000.0):
    T, D = x.shape
    out = torch.empty(T, D, dtype=torch.float64)
    for t in range(T):
        for i in range(D // 2):
            a = float(pos[t]) / base ** (2 * i / D)
            R = torch.tensor([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], dtype=torch.float64)
            out[t, 2 * i: 2 * i + 2] = R @ x[t, 2 * i: 2 * i + 2].double()
    return out


def relative_score_right(q, k, r, base=10000.0):
    """Σ over pairs of Re[z_q conj(z_k) e^(i r θ)], the complex form of q_m · k_n."""
    D = q.shape[0]
    total = 0.0
    for i in range(D // 2):
        zq, zk = complex(q[2 * i], q[2 * i + 1]), complex(k[2 * i], k[2 * i + 1])
        a = r / base ** (2 * i / D)
        total += (zq * zk.conjugate() * complex(math.cos(a), math.sin(a))).real
    return total


def sum_abs_S(D, r, base=10000.0):
    """Σ_{j=1}^{D/2} |S_j|, S_j = Σ_{k<j} e^(i r θ_k)."""
    S, total = 0j, 0.0
    for j in range(D // 2):
        a = r / base ** (2 * j / D)
        S += complex(math.cos(a), math.sin(a))
        total += abs(S)
    return total


def h_of(q, k):
    return [complex(q[2 * i], q[2 * i + 1]) * complex(k[2 * i], k[2 * i + 1]).conjugate()
            for i in range(q.shape[0] // 2)]


def rope_score_bound_right(q, k, r, base=10000.0):
    h = h_of(q, k) + [0j]
    return max(abs(h[j + 1] - h[j]) for j in range(len(h) - 1)) * sum_abs_S(q.shape[0], r, base)


# ------------------------------------------------------------------------------------------ the references


def test_the_references_are_right():
    """The hand-written answers satisfy what the chapter claims, independently of the check module."""
    from lmkit.check import position_math as module

    pe = sinusoidal_encoding(300, 16, dtype=torch.float64)
    concat = torch.cat([pe[:, 0::2], pe[:, 1::2]], dim=1)  # (T, d): sines, then cosines
    for k in (1, 7, 100):
        M = shift_matrix_concat_right(k, 16)
        assert torch.allclose(concat[k:], concat[:-k] @ M.T, atol=1e-10)
        assert torch.allclose(module._shift_matrix(k, 16, 10000.0) @ pe[:-k].T, pe[k:].T, atol=1e-10)
    # RoPE on (2i, 2i+1) of the reordered vector is lmkit's apply_rope, reordered the same way
    x = torch.randn(5, 8, dtype=torch.float64)
    perm = torch.tensor([0, 4, 1, 5, 2, 6, 3, 7])
    cos, sin = rope_cos_sin(5, 8)
    assert torch.allclose(rope_pairs_right(x[:, perm], torch.arange(5)),
                          apply_rope(x, cos.double(), sin.double())[:, perm], atol=1e-6)
    assert torch.allclose(module._rope_pairs(x, torch.arange(3, 8), 100.0), rope_pairs_right(x, torch.arange(3, 8),
                                                                                            100.0), atol=1e-12)
    # relative: q_m . k_n depends on m - n only, and it is not symmetric in m - n
    q, k = torch.randn(8, dtype=torch.float64), torch.randn(8, dtype=torch.float64)

    def s(m, n):
        return float(rope_pairs_right(q[None], [m])[0] @ rope_pairs_right(k[None], [n])[0])

    assert abs(s(5, 2) - s(105, 102)) < 1e-10 and abs(s(5, 2) - s(2, 5)) > 1e-6
    assert abs(s(105, 102) - relative_score_right(q, k, 3)) < 1e-10
    # the bound holds at every distance, and is what the module computes
    for r in range(0, 200, 7):
        assert abs(relative_score_right(q, k, r)) <= rope_score_bound_right(q, k, r) + 1e-9
        assert abs(module._score_bound(q, k, r, 10000.0) - rope_score_bound_right(q, k, r)) < 1e-9
    assert abs(float(module._decay_bound(128, 10000.0, 0)[0]) - 32.5) < 1e-12
    # all-ones q, k: the score is twice the sinusoidal dot product, and the bound is 2 |S_(D/2)|
    ones = torch.ones(16, dtype=torch.float64)
    pe16 = sinusoidal_encoding(50, 16, dtype=torch.float64)
    assert abs(relative_score_right(ones, ones, 9) - 2 * float(pe16[9] @ pe16[0])) < 1e-10


# ------------------------------------------------------------------------------------------------ the checks


def test_shift_matrix_concat(capsys):
    assert check.shift_matrix_concat(shift_matrix_concat_right)
    assert check.shift_matrix_concat(lambda k, d, base: shift_matrix_concat_right(k, d, base).float())
    assert "✅" in capsys.readouterr().out
    assert not check.shift_matrix_concat(lambda k, d, base: shift_matrix_concat_right(k, d, base).T)  # wrong way
    assert "PE'[pos - k]" in capsys.readouterr().out
    from lmkit.check.position_math import _shift_matrix

    assert not check.shift_matrix_concat(lambda k, d, base: _shift_matrix(k, d, base))  # interleaved layout
    assert "interleaved" in capsys.readouterr().out
    assert not check.shift_matrix_concat(lambda k, d, base: shift_matrix_concat_right(k, 2 * d, base)[:d, :d])
    assert not check.shift_matrix_concat(lambda k, d, base: torch.eye(d))
    assert not check.shift_matrix_concat(lambda k, d, base: None)
    out = capsys.readouterr().out
    assert "❌" in out and "Hint" in out and "returned None" in out


def test_rope_pairs(capsys):
    assert check.rope_pairs(rope_pairs_right)
    assert check.rope_pairs(lambda x, pos, base: rope_pairs_right(x, pos, base).float())

    def complex_way(x, pos, base):  # the same rotation with complex numbers
        z = torch.view_as_complex(x.double().reshape(x.shape[0], -1, 2).contiguous())
        angle = pos.double()[:, None] * frequencies(x.shape[-1], base)
        return torch.view_as_real(z * torch.polar(torch.ones_like(angle), angle)).flatten(-2)

    assert check.rope_pairs(complex_way)
    assert "✅" in capsys.readouterr().out

    def half(x, pos, base):  # lmkit's layout
        angle = pos.double()[:, None] * frequencies(x.shape[-1], base)
        angle = torch.cat((angle, angle), -1)
        x1, x2 = x.double().chunk(2, -1)
        return x.double() * angle.cos() + torch.cat((-x2, x1), -1) * angle.sin()

    assert not check.rope_pairs(half)
    assert "(i, i + D/2)" in capsys.readouterr().out
    assert not check.rope_pairs(lambda x, pos, base: rope_pairs_right(x, -pos, base))  # wrong direction
    assert "wrong way" in capsys.readouterr().out
    assert not check.rope_pairs(lambda x, pos, base: rope_pairs_right(x, torch.arange(len(pos)), base))  # from 0
    assert not check.rope_pairs(lambda x, pos, base: x)
    assert not check.rope_pairs(lambda x, pos, base: torch.view_as_complex(x.reshape(x.shape[0], -1, 2)))
    assert "not complex" in capsys.readouterr().out
    assert not check.rope_pairs(lambda x, pos, base: x[0, 99])  # raises IndexError: reported, not raised
    out = capsys.readouterr().out
    assert "❌" in out and "IndexError" in out


def test_relative_score(capsys):
    assert check.relative_score(relative_score_right)
    assert check.relative_score(lambda q, k, r, base: torch.tensor(relative_score_right(q, k, r, base)))
    assert check.relative_score(  # rotate the key alone, back by r
        lambda q, k, r, base: float(q @ rope_pairs_right(k[None], [-r], base)[0]))
    assert "✅" in capsys.readouterr().out
    assert not check.relative_score(lambda q, k, r, base: relative_score_right(q, k, -r, base))  # mirrored
    assert "offset" in capsys.readouterr().out
    assert not check.relative_score(lambda q, k, r, base: float(q @ k))  # no rotation at all
    assert not check.relative_score(lambda q, k, r, base: rope_pairs_right(q[None], [r], base)[0])  # a vector
    assert "one real number" in capsys.readouterr().out
    assert not check.relative_score(lambda q, k, r, base: None)
    out = capsys.readouterr().out
    assert "❌" in out and "returned None" in out


def test_rope_score_bound(capsys):
    assert check.rope_score_bound(rope_score_bound_right)
    assert check.rope_score_bound(lambda q, k, r, base: torch.tensor(rope_score_bound_right(q, k, r, base)))
    assert "✅" in capsys.readouterr().out

    def no_last(q, k, r, base):  # forgets h_(D/2) = 0
        h = h_of(q, k)
        return max(abs(h[j + 1] - h[j]) for j in range(len(h) - 1)) * sum_abs_S(q.shape[0], r, base)

    assert not check.rope_score_bound(no_last)
    assert "h_(D/2) - h_(D/2 - 1) is missing" in capsys.readouterr().out
    assert not check.rope_score_bound(lambda q, k, r, base: abs(relative_score_right(q, k, r, base)))  # the value
    assert not check.rope_score_bound(  # the relative bound (the mean of |S_j|), without the h factor
        lambda q, k, r, base: sum_abs_S(q.shape[0], r, base) / (q.shape[0] // 2))
    assert not check.rope_score_bound(lambda q, k, r, base: None)
    out = capsys.readouterr().out
    assert "❌" in out and "returned None" in out
    assert {"shift_matrix_concat", "rope_pairs", "relative_score", "rope_score_bound"} <= set(check.__all__)


def test_hints_are_graduated_and_give_no_code(hints_give_no_code, capsys):
    from lmkit.check import position_math as module

    solution_code = ["torch.cos", "torch.sin", ".cos()", ".sin()", "cumsum", "torch.exp", "torch.polar",
                     "view_as_complex", "0::2", "1::2", "//", "**", ".abs()", ".conj()", "torch.cat", "torch.arange",
                     "range(", "M[", "= [", "lambda", "@"]
    hints_give_no_code(module, solution_code)
