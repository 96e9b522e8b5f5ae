"""Checks for the exercises of chapter 5. Each is ``name(your_function) -> bool``; see ``lmkit.check``."""
from __future__ import annotations

__all__: list[str] = []
