"""Count-based n-gram language models over integer token ids, vectorised with torch.

An n-gram model predicts the next token from the previous ``n - 1`` only:
P(x_t | x_<t) ≈ P(x_t | x_{t-n+1} ... x_{t-1}), estimated from counts in a training text.
Three estimators are offered:

* ``"add_k"`` (additive, Laplace when k = 1): (c(h, w) + k) / (c(h) + k V). A context never
  seen in training gets the uniform distribution.
* ``"witten_bell"`` (interpolated Witten-Bell): each order is interpolated with the one below,
  giving the lower order the weight N1+(h·) / (c(h) + N1+(h·)), where N1+(h·) is the number of
  distinct tokens seen after h. No hyperparameter.
* ``"kneser_ney"`` (interpolated Kneser-Ney, Chen & Goodman 1999): absolute discount D per order,
  D = n1 / (n1 + 2 n2) from the training counts of counts, and lower orders built from
  *continuation* counts (in how many distinct contexts a token occurs). No hyperparameter.

Each context h of length m is encoded as a base-V integer (an int64), so counting is a
``torch.unique`` over a tensor and look-ups are a ``torch.searchsorted``: counting the 1 M
characters of Tiny Shakespeare for n = 7 takes about a second.

Introduced in chapter 2, Language models and probability (also used in chapter 1's Shannon demo).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from . import _validate as _v

__all__ = ["SMOOTHINGS", "NGramModel"]

#: The smoothing methods :class:`NGramModel` knows.
SMOOTHINGS = ("add_k", "witten_bell", "kneser_ney")


def _as_ids(ids: object, vocab_size: int, name: str, *, allow_empty: bool = False) -> Tensor:
    """A 1-D sequence of token ids (list, tuple, tensor or array) as a LongTensor, checked."""
    return _v.ngram_ids("NGramModel", name, ids, vocab_size, allow_empty)


def _encode(windows: Tensor, V: int) -> Tensor:
    """(N, m) token ids -> (N,) int64 base-V codes (0 for m = 0)."""
    code = torch.zeros(windows.shape[0], dtype=torch.long)
    for j in range(windows.shape[1]):
        code = code * V + windows[:, j]
    return code


def _sliding_codes(ids: Tensor, length: int, V: int) -> Tensor:
    """Codes of every window of ``length`` consecutive ids: (len(ids) - length + 1,)."""
    L = ids.numel() - length + 1
    code = torch.zeros(L, dtype=torch.long)
    for j in range(length):
        code = code * V + ids[j:j + L]
    return code


class _Table:
    """Counts of one order: sorted joint codes h*V+w with their counts; sorted contexts h with totals and types."""

    def __init__(self, joint: Tensor, counts: Tensor, V: int):
        self.joint, self.counts = joint, counts.double()  # joint sorted ascending (torch.unique)
        ctx = joint // V
        self.ctx, inverse, types = torch.unique_consecutive(ctx, return_inverse=True, return_counts=True)
        self.types = types.double()  # N1+(h·): distinct tokens seen after h
        self.total = torch.zeros(self.ctx.numel(), dtype=torch.float64).index_add_(0, inverse, self.counts)
        n1 = int((counts == 1).sum())
        n2 = int((counts == 2).sum())
        self.discount = n1 / (n1 + 2 * n2) if n1 > 0 else 0.5  # Kneser-Ney D (Chen & Goodman 1999, eq. 26)

    @staticmethod
    def _find(keys: Tensor, queries: Tensor) -> tuple[Tensor, Tensor]:
        if keys.numel() == 0:
            return torch.zeros_like(queries), torch.zeros(queries.shape, dtype=torch.bool)
        idx = torch.searchsorted(keys, queries).clamp_(max=keys.numel() - 1)
        return idx, keys[idx] == queries

    def context(self, h: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(found, total, types) for context codes h (N,)."""
        idx, found = self._find(self.ctx, h)
        zero = torch.zeros((), dtype=torch.float64)
        return found, torch.where(found, self.total[idx], zero), torch.where(found, self.types[idx], zero)

    def count(self, joint: Tensor) -> Tensor:
        """Counts of joint codes (any shape); 0 where unseen."""
        idx, found = self._find(self.joint, joint.reshape(-1))
        c = torch.where(found, self.counts[idx], torch.zeros((), dtype=torch.float64))
        return c.reshape(joint.shape)


class NGramModel:
    """Count-based n-gram model over integer token ids. Introduced in chapter 2 (used in chapter 1's Shannon demo).

    ``n`` is the order: the model conditions on the previous ``n - 1`` tokens (``n = 1`` is the
    unigram model, no context). ``smoothing`` is one of ``"add_k"`` (with pseudo-count ``k``),
    ``"witten_bell"`` or ``"kneser_ney"`` (both interpolate every order down to the uniform
    distribution, and have no hyperparameter to tune). Call :meth:`fit` before anything else.

    Example::

        m = NGramModel(3, vocab_size=65, smoothing="kneser_ney").fit(train_ids)
        m.next_token_probs([12, 40])      # (65,) probabilities of the next id
        m.cross_entropy(val_ids)          # nats per predicted token
    """

    def __init__(self, n: int, vocab_size: int, smoothing: str = "add_k", k: float = 1.0):
        _v.ngram_config("NGramModel", n, vocab_size, smoothing, k, SMOOTHINGS)
        self.n, self.vocab_size, self.smoothing, self.k = n, vocab_size, smoothing, float(k)
        self._raw: list[_Table] = []   # _raw[m]: counts of (m + 1)-grams, i.e. contexts of length m
        self._cont: list[_Table] = []  # _cont[m]: Kneser-Ney continuation counts for m < n - 1
        self.num_tokens = 0

    def __repr__(self) -> str:
        k = f", k={self.k:g}" if self.smoothing == "add_k" else ""
        return f"NGramModel(n={self.n}, vocab_size={self.vocab_size}, smoothing={self.smoothing!r}{k})"

    # ------------------------------------------------------------------------------------------
    # Counting

    def fit(self, ids: Sequence[int] | Tensor) -> NGramModel:
        """Count every m-gram of ``ids`` for m = 1..n (1-D ids in [0, vocab_size)); returns ``self``."""
        ids = _as_ids(ids, self.vocab_size, "ids")
        _v.ngram_length("NGramModel.fit", ids, self.n)
        V = self.vocab_size
        self._raw = []
        for m in range(self.n):
            joint, counts = torch.unique(_sliding_codes(ids, m + 1, V), return_counts=True)
            self._raw.append(_Table(joint, counts, V))
        # Continuation counts N1+(· h w): in how many distinct contexts u the (m+1)-gram hw follows.
        self._cont = []
        for m in range(self.n - 1):
            suffix = self._raw[m + 1].joint % (V ** (m + 1))  # drop the leading token of each (m+2)-gram
            joint, counts = torch.unique(suffix, return_counts=True)
            self._cont.append(_Table(joint, counts, V))
        self.num_tokens = ids.numel()
        return self

    def variant(self, n: int | None = None, smoothing: str | None = None, k: float | None = None) -> NGramModel:
        """A fitted model of order ``n <= self.n`` and/or another smoothing that shares these counts (no recount)."""
        self._check_fitted()
        n = self.n if n is None else n
        _v.number("NGramModel.variant", "n", n, high=self.n, what=f" (at most the fitted order {self.n})")
        m = NGramModel(n, self.vocab_size, self.smoothing if smoothing is None else smoothing,
                       self.k if k is None else k)
        m._raw, m._cont, m.num_tokens = self._raw[:n], self._cont[:n - 1], self.num_tokens
        return m

    def _check_fitted(self) -> None:
        _v.fitted("NGramModel", self._raw)

    def counts(self, context: Sequence[int] | Tensor = ()) -> Tensor:
        """(V,) raw training counts of each next token after ``context`` (its last n - 1 ids; fewer = lower order)."""
        self._check_fitted()
        ctx = _as_ids(context, self.vocab_size, "context", allow_empty=True)
        ctx = ctx[ctx.numel() - min(ctx.numel(), self.n - 1):]
        h = _encode(ctx[None], self.vocab_size)
        joint = h[:, None] * self.vocab_size + torch.arange(self.vocab_size)
        return self._raw[ctx.numel()].count(joint)[0].long()

    # ------------------------------------------------------------------------------------------
    # Probabilities

    def _probs(self, ctx: Tensor, targets: Tensor | None) -> Tensor:
        """P(w | ctx) for contexts (N, c), c <= n - 1: (N,) at ``targets`` or (N, V) for every w (float64)."""
        V, N, c = self.vocab_size, ctx.shape[0], ctx.shape[1]
        shape = (N,) if targets is not None else (N, V)
        p = torch.full(shape, 1.0 / V, dtype=torch.float64)
        orders = [c] if self.smoothing == "add_k" else range(c + 1)
        for m in orders:
            table = self._raw[m] if (m == c or self.smoothing != "kneser_ney") else self._cont[m]
            h = _encode(ctx[:, c - m:], V)  # (N,)
            found, total, types = table.context(h)
            joint = h * V + targets if targets is not None else h[:, None] * V + torch.arange(V)
            cnt = table.count(joint)
            if targets is None:
                found, total, types = found[:, None], total[:, None], types[:, None]
            if self.smoothing == "add_k":  # an unseen context has total 0 and gets k / (k V) = 1 / V
                p = (cnt + self.k) / (total + self.k * V)
            elif self.smoothing == "witten_bell":
                p = torch.where(found, (cnt + types * p) / (total + types).clamp(min=1e-300), p)
            else:  # interpolated Kneser-Ney
                D = table.discount
                p = torch.where(found, ((cnt - D).clamp(min=0) + D * types * p) / total.clamp(min=1e-300), p)
        return p

    def probs(self, contexts: Tensor) -> Tensor:
        """Batched next-token distributions: contexts (N, n - 1) of ids -> (N, V) float64 probabilities."""
        self._check_fitted()
        _v.ngram_contexts("NGramModel.probs", contexts, self.n)
        flat = _as_ids(contexts.reshape(-1), self.vocab_size, "contexts", allow_empty=True)
        return self._probs(flat.reshape(contexts.shape), None)

    def next_token_probs(self, context: Sequence[int] | Tensor = ()) -> Tensor:
        """(V,) float64 probabilities of the next id given the last n - 1 ids of ``context`` (sums to 1).

        With fewer than n - 1 ids (the start of a text), the model of the lower order len(context) + 1
        is used; for n = 1 the context is ignored.
        """
        self._check_fitted()
        ctx = _as_ids(context, self.vocab_size, "context", allow_empty=True)
        ctx = ctx[ctx.numel() - min(ctx.numel(), self.n - 1):]
        return self._probs(ctx[None], None)[0]

    def log_probs(self, ids: Sequence[int] | Tensor) -> Tensor:
        """(len(ids) - n + 1,) float64 natural-log probabilities of ids[n-1:], each given its n - 1 predecessors."""
        self._check_fitted()
        ids = _as_ids(ids, self.vocab_size, "ids")
        _v.ngram_length("NGramModel.log_probs", ids, self.n)
        T = ids.numel() - self.n + 1
        ctx = torch.stack([ids[j:j + T] for j in range(self.n - 1)], dim=1) if self.n > 1 else \
            torch.zeros(T, 0, dtype=torch.long)
        return self._probs(ctx, ids[self.n - 1:]).log()

    def cross_entropy(self, ids: Sequence[int] | Tensor) -> float:
        """Mean negative log-likelihood (nats per predicted token) of ids[n-1:], each given its n-1 predecessors."""
        return float(-self.log_probs(ids).mean())

    def perplexity(self, ids: Sequence[int] | Tensor) -> float:
        """exp(cross-entropy): the effective number of equally likely choices per token."""
        return math.exp(self.cross_entropy(ids))

    def seen_contexts(self, ids: Sequence[int] | Tensor) -> Tensor:
        """(len(ids) - n + 1,) bool: whether the (n-1)-token context of each of ids[n-1:] occurs in training."""
        self._check_fitted()
        ids = _as_ids(ids, self.vocab_size, "ids")
        _v.ngram_length("NGramModel.seen_contexts", ids, self.n)
        if self.n == 1:
            return torch.ones(ids.numel(), dtype=torch.bool)
        h = _sliding_codes(ids[:-1], self.n - 1, self.vocab_size)
        return self._raw[self.n - 1].context(h)[0]

    def unseen_context_fraction(self, ids: Sequence[int] | Tensor) -> float:
        """Fraction of the predicted positions of ``ids`` whose (n-1)-token context never occurs in training."""
        return float(1.0 - self.seen_contexts(ids).double().mean())

    # ------------------------------------------------------------------------------------------
    # Sampling

    def sample(self, length: int, context: Sequence[int] | Tensor = (),
               generator: torch.Generator | None = None) -> list[int]:
        """Draw ``length`` new ids one at a time, each from :meth:`next_token_probs` of all ids so far.

        Returns only the new ids (not ``context``). Pass a seeded ``torch.Generator`` to reproduce a draw.
        """
        self._check_fitted()
        _v.non_negative_int("NGramModel.sample", "length", length)
        if generator is not None:
            _v.instance("NGramModel.sample", "generator", generator, torch.Generator)
        history = _as_ids(context, self.vocab_size, "context", allow_empty=True).tolist()
        out: list[int] = []
        for _ in range(length):
            p = self.next_token_probs(history[len(history) - min(len(history), self.n - 1):])
            nxt = int(torch.multinomial(p, 1, generator=generator))
            history.append(nxt)
            out.append(nxt)
        return out
