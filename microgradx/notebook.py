"""Showing drawings in a notebook: fitted to the output cell, with a switch to natural size.

A blame graph drawn at its natural size is often wider than a notebook's output
cell (an MLP's values view is thousands of pixels wide). ``drawing_bundle(svg)``
gives Jupyter the SVG scaled down to the cell's width (never enlarged), and, as
HTML, the same picture with a "natural size" checkbox that shows it full size in
a scrolling box. The switch is plain CSS, so it works where scripts do not run;
where a front end strips the styles, the picture is still fitted.
"""

from __future__ import annotations

import itertools
import re

FITTED_STYLE = "max-width: 100%; height: auto;"
"""Scale down to the width of the container, keep the proportions, never enlarge."""

_counter = itertools.count(1)


def fitted_svg(svg: str) -> str:
    """``svg`` (Graphviz's output) starting at ``<svg``, set to fit its container's width."""
    start = svg.find("<svg")
    if start < 0:
        return svg
    svg = svg[start:]
    return re.sub(r"^<svg\b", f'<svg style="{FITTED_STYLE}"', svg, count=1)


def drawing_bundle(svg: str) -> dict[str, str]:
    """Jupyter's display data for a drawing: fitted SVG, and HTML with a zoom switch."""
    fitted = fitted_svg(svg)
    box = f"mgx-drawing-{next(_counter)}"
    html = (
        f'<div class="{box}">'
        f"<style>.{box} .mgx-zoom:checked ~ .mgx-drawing-box svg "
        "{ max-width: none !important; }"
        f" .{box} .mgx-drawing-box {{ overflow: auto; max-height: 80vh; }}"
        f" .{box} label {{ font: 13px sans-serif; color: #555; }}</style>"
        f'<input type="checkbox" class="mgx-zoom" id="{box}-zoom">'
        f'<label for="{box}-zoom"> natural size</label>'
        f'<div class="mgx-drawing-box">{fitted}</div></div>'
    )
    return {"image/svg+xml": fitted, "text/html": html}
