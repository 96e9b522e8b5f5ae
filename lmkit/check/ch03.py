"""Checks for the exercises of chapter 3. Each is ``name(your_function) -> bool``; see ``lmkit.check``."""
from __future__ import annotations

__all__: list[str] = []
