"""The embeddings checks accept correct answers, reject typical wrong ones, never raise, and hint in
steps without giving the answer away."""
import math

import pytest
import torch
import torch.nn.functional as F

from lmkit import check
from lmkit.check import embeddings
from lmkit.check.embeddings import HINTS

# ------------------------------------------------------------------------------ right and wrong answers


def grad_index_add(idx, grad_out, V):
    return torch.zeros(V, grad_out.shape[-1], dtype=grad_out.dtype).index_add_(
        0, idx.flatten(), grad_out.flatten(0, 1))


def grad_onehot(idx, grad_out, V):  # the chapter's formula: U^T G
    U = F.one_hot(idx.flatten(), V).to(grad_out.dtype)  # (N, V)
    return U.T @ grad_out.flatten(0, 1)


def grad_autograd(idx, grad_out, V):
    W = torch.zeros(V, grad_out.shape[-1], requires_grad=True)
    (W[idx] * grad_out).sum().backward()
    return W.grad


def grad_assign(idx, grad_out, V):  # overwrites: repeated ids keep one gradient
    W = torch.zeros(V, grad_out.shape[-1])
    W[idx.flatten()] = grad_out.flatten(0, 1)
    return W


def grad_too_small(idx, grad_out, V):  # sized by the batch, not the vocabulary
    return grad_index_add(idx, grad_out, int(idx.max()) + 1)


def stale_formula(b1, b2, n):
    m = b1 ** n * (1 - b1) / (1 - b1 ** (n + 1))      # corrected m / g at step 1 + n
    v = b2 ** n * (1 - b2) / (1 - b2 ** (n + 1))      # corrected v / g^2
    return m / math.sqrt(v)


def stale_simulated(b1, b2, n):  # Adam by hand, on a gradient of 3 at step 1
    m = v = 0.0
    steps = []
    for t in range(1, n + 2):
        g = 3.0 if t == 1 else 0.0
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        steps.append((m / (1 - b1 ** t)) / math.sqrt(v / (1 - b2 ** t)))
    return torch.tensor(steps[-1] / steps[0])


def stale_uncorrected(b1, b2, n):
    return b1 ** n * (1 - b1) / math.sqrt(b2 ** n * (1 - b2))


def stale_off_by_one(b1, b2, n):
    return stale_formula(b1, b2, n + 1)


def neighbours_cosine(W, i, k):
    Wn = F.normalize(W, dim=1)
    s = Wn @ Wn[i]
    s[i] = -2.0
    return s.topk(k).indices


def neighbours_sorted(W, i, k):  # a plain Python list, by argsort
    s = F.cosine_similarity(W, W[i][None], dim=1)
    order = [int(j) for j in torch.argsort(s, descending=True) if int(j) != i]
    return order[:k]


def neighbours_dot(W, i, k):  # dot product: long rows win
    s = W @ W[i]
    s[i] = -float("inf")
    return s.topk(k).indices


def neighbours_with_self(W, i, k):
    Wn = F.normalize(W, dim=1)
    return (Wn @ Wn[i]).topk(k).indices


def neighbours_ascending(W, i, k):
    Wn = F.normalize(W, dim=1)
    s = Wn @ Wn[i]
    s[i] = 2.0
    return torch.argsort(s)[:k]


def pca_svd(W):
    X = W - W.mean(0)
    U, S, _ = torch.linalg.svd(X, full_matrices=False)
    return U[:, :2] * S[:2]


def pca_projection(W):  # the centred rows times the top-2 right singular vectors, signs flipped
    X = W - W.mean(0)
    _, _, Vh = torch.linalg.svd(X, full_matrices=False)
    return -(X @ Vh[:2].T)


def pca_lowrank(W):  # randomized, and exact only when q covers every component
    U, S, _ = torch.pca_lowrank(W, q=min(W.shape), center=True)
    return U[:, :2] * S[:2]


def pca_eigh(W):  # eigenvectors of the covariance matrix, largest last
    X = W.double() - W.double().mean(0)
    _, vecs = torch.linalg.eigh(X.T @ X)
    return X @ vecs[:, [-1, -2]]


def pca_uncentred(W):
    U, S, _ = torch.linalg.svd(W, full_matrices=False)
    return U[:, :2] * S[:2]


def pca_directions(W):  # the directions (C, 2) instead of the coordinates (N, 2)
    _, _, Vh = torch.linalg.svd(W - W.mean(0), full_matrices=False)
    return Vh[:2].T


def pca_smallest(W):
    X = W - W.mean(0)
    U, S, _ = torch.linalg.svd(X, full_matrices=False)
    return U[:, -2:] * S[-2:]


def pca_swapped(W):
    return pca_svd(W)[:, [1, 0]]


# ----------------------------------------------------------------------------------------- the tests


def test_the_reference_gradient_is_autograd_of_a_real_embedding():
    g = torch.Generator().manual_seed(0)
    idx = torch.randint(0, 9, (3, 11), generator=g)  # many repeated ids
    emb = torch.nn.Embedding(20, 5)
    grad_out = torch.randn(3, 11, 5, generator=g)
    emb(idx).backward(grad_out)
    for fn in (grad_index_add, grad_onehot, grad_autograd):
        assert torch.allclose(fn(idx, grad_out, 20), emb.weight.grad, atol=1e-6)
    unused = sorted(set(range(20)) - set(idx.flatten().tolist()))
    assert (emb.weight.grad[unused] == 0).all()


def test_embedding_grad(capsys):
    for right in (grad_index_add, grad_onehot, grad_autograd):
        assert check.embedding_grad(right), right.__name__
    for wrong in (grad_assign, grad_too_small, lambda idx, g, V: None,
                  lambda idx, g, V: grad_index_add(idx, g, V) / idx.numel()):
        assert not check.embedding_grad(wrong)
    assert "❌" in capsys.readouterr().out


def test_adam_stale_step(capsys):
    assert abs(stale_formula(0.9, 0.999, 1) - 0.6700) < 1e-4  # the chapter's figure
    for right in (stale_formula, stale_simulated):
        assert check.adam_stale_step(right), right.__name__
    for wrong in (stale_uncorrected, stale_off_by_one, lambda b1, b2, n: b1 ** n,
                  lambda b1, b2, n: None, lambda b1, b2, n: "0.67"[:0]):
        assert not check.adam_stale_step(wrong)
    assert "❌" in capsys.readouterr().out


def test_cosine_neighbours(capsys):
    for right in (neighbours_cosine, neighbours_sorted):
        assert check.cosine_neighbours(right), right.__name__
    for wrong in (neighbours_dot, neighbours_with_self, neighbours_ascending,
                  lambda W, i, k: neighbours_cosine(W, i, k + 1),
                  lambda W, i, k: "not indices"):
        assert not check.cosine_neighbours(wrong)
    assert "❌" in capsys.readouterr().out


def test_pca_2d(capsys):
    for right in (pca_svd, pca_projection, pca_lowrank, pca_eigh):
        assert check.pca_2d(right), right.__name__
    for wrong in (pca_uncentred, pca_directions, pca_smallest, pca_swapped, lambda W: None):
        assert not check.pca_2d(wrong)
    assert "❌" in capsys.readouterr().out


def test_checks_leave_the_random_state_alone():
    before = torch.random.get_rng_state()
    with check.quiet():
        assert check.embedding_grad(grad_index_add)
        assert check.adam_stale_step(stale_formula)
        assert check.cosine_neighbours(neighbours_cosine)
        assert check.pca_2d(pca_svd)
    assert torch.equal(before, torch.random.get_rng_state())


# ------------------------------------------------------------------------------------------- the hints

# solution code that no hint may contain (the hints point the way, they do not give the answer)
ANSWERS = ["** n", "** (n", "math.sqrt", "index_add", "one_hot(", ".T @", "F.normalize", "cosine_similarity(",
           "topk(", "argsort(", "linalg.svd", "pca_lowrank", "Vh[", "U[:, :2]", "mean(0)", "mean(dim=0)", "S[:2]",
           "- W.mean"]


def test_hints_are_graduated_and_never_the_answer():
    assert set(HINTS) == set(embeddings.__all__)
    for name, hints in HINTS.items():
        assert isinstance(hints, list) and 2 <= len(hints) <= 3, name
        assert len(set(hints)) == len(hints), f"{name}: a hint is repeated"
        for hint in hints:
            leaked = [a for a in ANSWERS if a in hint]
            assert not leaked, f"{name}: a hint contains solution code {leaked}: {hint!r}"


@pytest.mark.parametrize("name, right, wrong", [
    ("embedding_grad", grad_index_add, grad_assign),
    ("adam_stale_step", stale_formula, stale_uncorrected),
    ("cosine_neighbours", neighbours_cosine, neighbours_dot),
    ("pca_2d", pca_svd, pca_uncentred),
])
def test_each_failure_gives_the_next_hint(name, right, wrong, capsys):
    fn = getattr(check, name)
    n = len(HINTS[name])
    assert fn(right)                                    # a pass starts the count again
    capsys.readouterr()
    for k in range(1, n + 2):
        assert not fn(wrong)
        out = capsys.readouterr().out
        assert f"Hint {min(k, n)} of {n}:" in out, out  # then it stays at the last, most specific one
        assert HINTS[name][min(k, n) - 1] in out
        if k == 2:
            assert "Hint 2 of" in out
    with check.quiet():                                 # quiet runs print nothing and do not count
        assert not fn(wrong)
    assert capsys.readouterr().out == ""
    assert fn(right)
    capsys.readouterr()
    assert not fn(wrong)
    assert "Hint 1 of" in capsys.readouterr().out
