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
import xml.etree.ElementTree as ElementTree

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"
_SVG = f"{{{SVG_NAMESPACE}}}"

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


def parse_svg(svg: str) -> ElementTree.Element:
    """Graphviz's SVG output, from its ``<svg`` on, as an element tree."""
    ElementTree.register_namespace("", SVG_NAMESPACE)
    ElementTree.register_namespace("xlink", XLINK_NAMESPACE)
    return ElementTree.fromstring(svg[svg.index("<svg") :])


def centre_cell_texts(root: ElementTree.Element) -> None:
    """Centre every text of a table cell in that cell.

    Graphviz starts each text at an x worked out from its own font metrics
    (graphviz-pure uses Helvetica's); a browser that draws it in a wider font
    (DejaVu Sans on many Linux systems) would push its end out of the cell.
    Centred, a text stays inside as long as the cell is wide enough, which the
    cells' widths see to (``labels.text_width``).
    """
    for group in root.iter(f"{_SVG}g"):
        if group.get("class") != "node":
            continue
        cells = [_box(p) for p in group.iter(f"{_SVG}polygon")]
        for text in group.iter(f"{_SVG}text"):
            if text.get("text-anchor") != "start":
                continue
            x, y = float(text.get("x", "0")), float(text.get("y", "0"))
            around = [b for b in cells if b and b[0] <= x <= b[2] and b[1] <= y <= b[3]]
            if around:
                left, _, right, _ = min(around, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
                text.set("text-anchor", "middle")
                text.set("x", f"{(left + right) / 2:.2f}")


def _box(polygon: ElementTree.Element) -> tuple[float, float, float, float] | None:
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", polygon.get("points", ""))]
    xs, ys = numbers[0::2], numbers[1::2]
    if not xs or max(xs) - min(xs) < 1 or max(ys) - min(ys) < 1:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def drawing_bundle(svg: str) -> dict[str, str]:
    """Jupyter's display data for a drawing: fitted SVG, and HTML with a zoom switch."""
    root = parse_svg(svg)
    centre_cell_texts(root)
    fitted = fitted_svg(ElementTree.tostring(root, encoding="unicode"))
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
