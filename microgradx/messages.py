"""Quoting what the user gave in an error message, without flooding the screen.

An error should show the input it is about, so the reader can find it, but a
200 MB file or a 100 kB command-line value must not become a 200-million-character
message. Every message that quotes user input goes through ``quoted()`` (for any
object, as its ``repr``) or ``shortened()`` (for text shown as it is).
"""

from __future__ import annotations

QUOTE_LIMIT = 80
"""Quoted input longer than this many characters is cut, and its length is given."""

PATH_LIMIT = 400
"""File paths get a longer limit: deep folders often pass 80 characters, and a path is
only useful whole. Write ``quoted(str(path), PATH_LIMIT)``."""


def quoted(thing: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr(thing)``, cut to ``limit`` characters plus "... (N characters)" when longer.

    For a string, N counts the characters of the string itself.

    >>> quoted("tanh(x)")
    "'tanh(x)'"
    >>> quoted("ab" * 100, limit=10)
    "'ababababa... (200 characters)"
    """
    if isinstance(thing, str) and len(thing) > limit:
        return f"{repr(thing[:limit])[:limit]}... ({len(thing)} characters)"
    return shortened(_safe_repr(thing), limit)


def shortened(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` itself when it is short; else its first ``limit`` characters and its length.

    >>> shortened("x" * 100, limit=5)
    'xxxxx... (100 characters)'
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def _safe_repr(thing: object) -> str:
    """``repr(thing)``, or a plain description when its ``repr`` fails."""
    try:
        return repr(thing)
    except Exception:  # a broken __repr__ must not hide the real error
        return f"<a {type(thing).__name__} that cannot be shown>"
