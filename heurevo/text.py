"""Bounds on text that came from a candidate, a worker or an LLM, before anyone stores or shows it."""

from __future__ import annotations

#: The most characters of one feedback or error text kept (stored, printed, sent to an LLM).
MAX_TEXT_CHARS = 8192


def clip_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` cut to ``limit`` characters (head and tail kept), saying how much was cut."""
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    note = f"\n[... {cut} characters cut ...]\n"
    head = (limit * 3) // 4
    return text[:head] + note + text[len(text) - (limit - head):]
