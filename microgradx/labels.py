"""What goes into a drawing's labels: safe text, numbers, colours and text widths.

Both views of the blame graph (``microgradx.graph`` for every value,
``microgradx.network_view`` for one node per neuron) and the step-through player
build their labels from these pieces, so a number, a colour or an escaped name
looks the same everywhere. Nothing here imports Graphviz.
"""

from __future__ import annotations

import math
import unicodedata

FONT = "Helvetica"
"""One font name, not a list: graphviz-pure sizes text with built-in metrics for
Helvetica, Times and a few others, and falls back to Times for unknown names."""

ROLE_COLOURS = {
    "input": "#e6e6e6",
    "parameter": "#ffe680",
    "intermediate": "#ffffff",
    "output": "#b8e6b0",
}
ROLE_NAMES = {
    "input": "input or constant",
    "parameter": "parameter",
    "intermediate": "intermediate",
    "output": "output",
}
POSITIVE_BLAME_COLOUR = (0xEF, 0x8A, 0x62)
"""Fill for the largest positive blame; smaller blame mixes it with white."""
NEGATIVE_BLAME_COLOUR = (0x67, 0xA9, 0xCF)
"""Fill for the largest negative blame (blue and red stay distinct for colour-blind readers)."""
NO_BLAME_COLOUR = "#ffffff"
"""Fill of a blame cell whose blame is zero or not known yet."""

# ----------------------------------------------------------------------
# Text: one escaping helper for all user text, and number formatting
# ----------------------------------------------------------------------

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def escape_text(text: str) -> str:
    """``text`` made safe to appear, literally, inside a Graphviz HTML-like label.

    * Invisible characters (control characters, lone surrogates, non-characters
      and bidi overrides) become visible Python escapes: a newline shows as ``\\n``.
      Graphviz would drop them or write invalid XML.
    * A backslash is doubled: Graphviz replaces ``\\N``, ``\\G`` ... with node and
      graph names even inside HTML-like labels.
    * ``& < > "`` become XML entities, so ``<b>`` or ``{a|b}`` is shown, not parsed;
      so does ``]`` (dot 2.43 rejects a label whose text is only ``]``).
    """
    visible = visible_text(text)
    return (
        visible.replace("\\", "\\\\")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("]", "&#93;")
    )


def visible_text(text: str) -> str:
    """``text`` as a drawing shows it: invisible characters written as Python escapes."""
    return "".join(_visible(character) for character in text)


def _visible(character: str) -> str:
    category = unicodedata.category(character)
    if category in ("Cc", "Cs") or character in _BIDI_CONTROLS or character in "\ufffe\uffff":
        return repr(character)[1:-1]
    return character


def format_number(x: float) -> str:
    """``x`` with 4 significant digits, always with a decimal point or exponent.

    ``2.0`` (not ``2``), ``6.881``, ``-0.7071``, ``1.235e+06``; ``-0.0`` shows as ``0.0``.
    (The player's script has the same function, ``formatNumber``, tested against this one.)
    """
    text = f"{float(x) + 0.0:.4g}"
    if "." in text or "e" in text or "n" in text:
        return text
    return text + ".0"


ROOMY_NUMBER = "-0.001234"
"""A long number as ``format_number`` writes it (9 characters; the longest, like
``-8.888e+308``, have 11). Where a learner can set a leaf to any number (the live
lab), a cell that shows a number has room for this one, and the page narrows a text
that is longer still until it fits its cell."""


# ----------------------------------------------------------------------
# Colours
# ----------------------------------------------------------------------


def blame_colour(grad: float, largest: float) -> str:
    """White mixed with red (grad > 0) or blue (grad < 0) in proportion to |grad| / largest.

    (The player's script has the same function, ``blameColour``.)
    """
    if grad == 0.0 or largest == 0.0 or math.isnan(grad):
        return NO_BLAME_COLOUR
    full = POSITIVE_BLAME_COLOUR if grad > 0.0 else NEGATIVE_BLAME_COLOUR
    return mix_colour((255, 255, 255), full, blame_strength(grad, largest))


def blame_strength(grad: float, largest: float) -> float:
    """|grad| / largest, at most 1 (a running total can pass the final largest)."""
    strength = min(abs(grad) / largest, 1.0)
    return 1.0 if math.isnan(strength) else strength


def mix_colour(start: tuple[int, int, int], end: tuple[int, int, int], strength: float) -> str:
    """``#rrggbb`` a share ``strength`` (0 to 1) of the way from ``start`` to ``end``."""
    mixed = (round(a + (b - a) * strength) for a, b in zip(start, end))
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


# ----------------------------------------------------------------------
# How wide a text is drawn
# ----------------------------------------------------------------------

_NARROW = frozenset(" .,:;'!|()[]ijlftrI-")
_WIDE = frozenset("mwMW@%")


def text_width(text: str, font_size: float, bold: bool = False) -> float:
    """A generous estimate of the width of ``text`` drawn at ``font_size``, in points.

    Graphviz sizes a table cell with its own font metrics (graphviz-pure uses
    Helvetica's), but a browser draws the SVG with whatever sans-serif font it has;
    on Linux that is often DejaVu Sans, about 14% wider than Helvetica. Cells whose
    width is set from this estimate hold their text in either font. The widths per
    character, in em, were measured for DejaVu Sans in Chromium (digits 0.64,
    lowercase 0.56 on average, capitals 0.67) and rounded up.
    """
    em = 0.0
    for character in visible_text(text):
        if character.isdigit():
            em += 0.64
        elif character in _NARROW:
            em += 0.4
        elif character in _WIDE:
            em += 1.0
        elif character.isupper():
            em += 0.74
        elif unicodedata.east_asian_width(character) in ("W", "F"):
            em += 1.0
        else:
            em += 0.62
    return math.ceil(em * font_size * (1.1 if bold else 1.0))
