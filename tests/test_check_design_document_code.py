"""The checks of design_document_code's exercises accept the reference and reject typical wrong answers."""
import torch

from lmkit import check
from lmkit import attention

def test_causal_mask_and_sinusoidal_encoding():
    assert check.causal_mask(attention.causal_mask)
    assert not check.causal_mask(lambda T: torch.ones(T, T, dtype=torch.bool))

    def sinusoidal(T, d):  # vectorised, unlike the checker's element-by-element reference
        angle = torch.arange(T)[:, None] / 10000 ** (torch.arange(0, d, 2) / d)
        pe = torch.zeros(T, d)
        pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)
        return pe
    assert check.sinusoidal_encoding(sinusoidal)
    assert not check.sinusoidal_encoding(lambda T, d: sinusoidal(T, d).flip(1))  # columns reversed
