"""The player's page: the drawing, the steps and the script, in one self-contained file.

``player_markup(...)`` puts together, for one recording:

* the drawing as inline SVG, **annotated** so that the script can repaint it:
  every text that shows a number, every table cell coloured by blame and every
  line coloured by blame carries ``data-mgx`` (what it shows: data, blame, paths,
  local, passed, name, stroke), ``data-mgx-node`` (the node's index in
  ``topological_order(root)``) and, where needed, ``data-mgx-child`` (which input
  of the node), ``data-mgx-prefix`` (the words before the number, "data ") and
  ``data-mgx-fill`` (the cell's colour while its blame is unknown). A text the
  script rewrites is centred in its cell, and ``data-mgx-room`` says how wide it may
  be: the script narrows a longer text (a number of the live lab) to fit. Every
  element that stands for one node (``Drawing.holders``: a value's group, a
  neuron's group for its output, a knob's cell) carries ``data-mgx-holds`` (the
  node's index) and the node's numbers in full precision, ``data-value`` and
  ``data-blame``, written as Python's ``repr`` writes them. The drawing as written
  shows the end state (every number and blame), which is what a reader without
  scripts sees;
* the data for the script as JSON (``script_data``; its format is documented
  there): every node's numbers and the step at which each becomes known, and
  every step's texts;
* the steps as plain text, for reading without scripts;
* the styles and the script (``player_page/player.css`` and ``player.js``).

Nothing is fetched from the network; the page works from a file.
"""

from __future__ import annotations

import html
import json
import math
import re
import xml.etree.ElementTree as ElementTree
from importlib import resources

from microgradx.labels import NO_BLAME_COLOUR, POSITIVE_BLAME_COLOUR
from microgradx.notebook import SVG_NAMESPACE, centre_cell_texts, parse_svg

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from microgradx.graph import Drawing, Slot
    from microgradx.lab import LabParts
    from microgradx.steps import Recording, Step

_SVG = f"{{{SVG_NAMESPACE}}}"

TEXT_MARGIN = 3.0
"""How much narrower than its cell a text must stay (in points, both sides together)."""

ZOOMS = ("readable", "width", "natural")
"""How the drawing is sized: fitted, but never so small that a text is under 12 px
(scrolling where it cannot fit); fitted to the width whatever the text size; or
at its natural size."""

# ----------------------------------------------------------------------
# The drawing, annotated for the script
# ----------------------------------------------------------------------


def annotate_svg(svg: str, drawing: Drawing) -> str:
    """Graphviz's SVG as an ``<svg>`` element with the script's marks (see the module doc).

    Each group (node or edge) with slots is read in document order: a ``<text>``
    is matched to the first unmatched slot with the same text; a slot with a
    ``fill`` also marks the cell behind its text (the last coloured polygon before
    it). Raises ``ValueError`` when a slot's text is not in its group: that would be
    a drawing the script cannot repaint.
    """
    root = parse_svg(svg)
    numbers = drawing.snapshot.data, drawing.snapshot.blame
    for group in root.iter(f"{_SVG}g"):
        group_id = group.get("id", "")
        group_slots = drawing.slots.get(group_id)
        if group_slots:
            _annotate_group(group, group_slots, numbers)
        if group_id in drawing.holders:
            _hold_numbers(group, drawing.holders[group_id], numbers)
    centre_cell_texts(root)
    return ElementTree.tostring(root, encoding="unicode")


def _hold_numbers(
    element: ElementTree.Element, node: int, numbers: tuple[Sequence[float], Sequence[float]]
) -> None:
    """Write node ``node``'s numbers on ``element``, in full: ``data-value="0.1"``."""
    data, blame = numbers
    element.set("data-mgx-holds", str(node))
    element.set("data-value", repr(data[node]))
    element.set("data-blame", repr(blame[node]))


def _annotate_group(
    group: ElementTree.Element,
    slots: list[Slot],
    numbers: tuple[Sequence[float], Sequence[float]],
) -> None:
    waiting = [slot for slot in slots if slot.kind != "stroke"]
    strokes = [slot for slot in slots if slot.kind == "stroke"]
    last_cell: ElementTree.Element | None = None
    for element in list(group.iter()):
        tag = element.tag.removeprefix(_SVG)
        if tag in ("polygon", "path") and strokes and element is not group:
            _mark(element, strokes[0])
            continue
        if tag == "polygon" and (element.get("fill") or "").startswith("#"):
            last_cell = element
            continue
        if tag != "text":
            continue
        shown = " ".join((element.text or "").replace("\xa0", " ").split())
        slot = next((s for s in waiting if " ".join(s.text.split()) == shown), None)
        if slot is None:
            continue
        waiting.remove(slot)
        _mark(element, slot)
        if slot.holds:
            _hold_numbers(element, slot.node, numbers)
        if slot.kind != "name" and last_cell is not None and group.get("class") == "node":
            _centre_in(element, last_cell)
        elif slot.room:
            element.set("data-mgx-room", f"{slot.room:.2f}")
        if slot.fill and last_cell is not None:
            _mark(last_cell, slot, cell=True)
    if waiting:
        raise ValueError(
            f"the drawing has no text {waiting[0].text!r} in {group.get('id')!r}: the "
            "player cannot repaint it (a renderer that writes text differently?)"
        )


def _mark(element: ElementTree.Element, slot: Slot, cell: bool = False) -> None:
    element.set("data-mgx", "cell" if cell else slot.kind)
    element.set("data-mgx-node", str(slot.node))
    if slot.kind in ("local", "passed"):
        element.set("data-mgx-child", str(slot.child))
    if slot.prefix and not cell:
        element.set("data-mgx-prefix", slot.prefix)
    if cell:
        element.set("data-mgx-fill", slot.fill)


def _centre_in(text: ElementTree.Element, polygon: ElementTree.Element) -> None:
    """Centre ``text`` in the cell ``polygon`` (Graphviz starts it at a fixed x), and
    note the room it has there (``data-mgx-room``, in the drawing's units)."""
    xs = [float(x) for x in re.findall(r"(-?[\d.]+),", polygon.get("points", ""))]
    if xs:
        text.set("text-anchor", "middle")
        text.set("x", f"{(min(xs) + max(xs)) / 2:.2f}")
        text.set("data-mgx-room", f"{max(xs) - min(xs) - TEXT_MARGIN:.2f}")


# ----------------------------------------------------------------------
# The data for the script
# ----------------------------------------------------------------------


def script_data(recording: Recording, drawing: Drawing, keyboard: str, zoom: str) -> dict[str, Any]:
    """What the page's script reads (one JSON object).

    * ``keyboard``: "page" (keys work anywhere) or "player" (when it has the focus);
      ``view``: "values" or "network"; ``zoom``: the first of ``ZOOMS`` to use;
      ``largestBlame``: the largest |blame|, to which blame colours are relative;
      ``lineWidths`` (network view): the thinnest and the thickest weight line.
    * ``nodes``, one per node in topological order: ``name``, ``role``, ``op``,
      ``children`` (indices), ``local`` (local derivatives), ``data``, ``blame``
      (d root / d node, as ``backward()`` gives it), ``paths`` (shares of blame it
      receives), ``valueStep`` (the first step showing its value), ``handStep`` (the
      step it hands its blame on; null for a leaf), ``blameSteps`` (a
      [step, total after, path] triple per share reaching it; the root's is the
      seed, [step, 1.0, 0]), ``shownIn`` (the SVG id of the group that shows it, or
      null), ``opParts`` (values view: the ids of its op and edges).
    * ``steps``: ``phase``, ``title``, ``lines``, ``note``, ``current`` and ``inputs``
      (node indices), ``flowing`` (SVG ids).

    Numbers are JSON numbers, or the strings "Infinity", "-Infinity" and "NaN".
    """
    snapshot, timeline = drawing.snapshot, recording.timeline
    shown_in = _shown_in(drawing)
    nodes = []
    for i, info in enumerate(recording.nodes):
        nodes.append(
            {
                "name": snapshot.names[i],
                "role": snapshot.roles[i],
                "op": snapshot.ops[i],
                "children": list(snapshot.children[i]),
                "local": [_number(x) for x in snapshot.local_grads[i]],
                "data": _number(snapshot.data[i]),
                "blame": _number(snapshot.blame[i]),
                "paths": snapshot.paths[i],
                "valueStep": timeline.value_step[i],
                "handStep": timeline.hand_step[i],
                "blameSteps": [
                    [step, _number(total), path] for step, total, path in timeline.blame_steps[i]
                ],
                "shownIn": shown_in.get(i),
                "opParts": list(info.op_parts),
            }
        )
    largest = max((abs(b) for b in snapshot.blame), default=0.0)
    data: dict[str, Any] = {
        "keyboard": keyboard,
        "view": drawing.view,
        "zoom": zoom,
        "largestBlame": _number(largest),
        "noBlameColour": NO_BLAME_COLOUR,
        "positiveColour": list(POSITIVE_BLAME_COLOUR),
        "nodes": nodes,
        "steps": [_step_for_script(step) for step in recording.steps],
    }
    if drawing.view == "network":
        from microgradx.network_view import THICKEST_LINE, THINNEST_LINE

        data["lineWidths"] = [THINNEST_LINE, THICKEST_LINE]
    return data


def _shown_in(drawing: Drawing) -> dict[int, str]:
    """Node index -> the SVG id of the group that shows its value."""
    shown: dict[int, str] = {}
    for group_id, slots in drawing.slots.items():
        for slot in slots:
            if slot.kind in ("data", "name") and not group_id.startswith(("edge", "weight")):
                shown.setdefault(slot.node, group_id)
    if drawing.view == "values":
        shown = {i: f"value-{i}" for i in range(len(drawing.snapshot.values))}
    else:  # a neuron's inner values and knobs are shown in its node
        for neuron in drawing.snapshot.neurons:
            for i in neuron.members:
                shown.setdefault(i, f"neuron-{neuron.layer}-{neuron.number}")
    return shown


def _number(x: float) -> float | str:
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def _step_for_script(step: Step) -> dict[str, Any]:
    """What the page's script needs to show a step: texts and ids, no arithmetic."""
    return {
        "phase": step.phase,
        "title": step.title,
        "lines": list(step.lines),
        "note": step.note,
        "current": list(step.current),
        "inputs": list(step.inputs),
        "flowing": list(step.flowing),
    }


def json_for_script(data: Any) -> str:
    """JSON that is safe inside ``<script>``: no ``</script>`` or ``<!--`` can appear.

    ``<``, ``>`` and ``&`` become ``\\u003c``-style escapes, which JSON.parse reads back
    as the same characters.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for character in "<>&\u2028\u2029":
        text = text.replace(character, f"\\u{ord(character):04x}")
    return text


# ----------------------------------------------------------------------
# The markup
# ----------------------------------------------------------------------


def page_file(name: str) -> str:
    """The text of one of the page's files (``player.css``, ``player.js``)."""
    folder = resources.files("microgradx").joinpath("player_page")
    return folder.joinpath(name).read_text("utf-8")


def step_as_list_item(step: Step) -> str:
    """A step as static HTML, for reading without the script."""
    lines = html.escape("\n".join(step.lines))
    return (
        f'<li><p class="mgx-step-title">{html.escape(step.title)}</p>'
        f'<p class="mgx-note">{html.escape(step.note)}</p>'
        f'<pre class="mgx-lines">{lines}</pre></li>'
    )


def player_markup(
    *,
    title: str,
    svg: str,
    recording: Recording,
    drawing: Drawing,
    keyboard: str,
    lab: LabParts | None = None,
    step_through: bool = True,
) -> str:
    """The player as an HTML fragment: ``keyboard`` is "page" for a page of its own.

    With ``lab`` (``microgradx.lab.lab_parts``) the page has the live lab too, and
    opens on it; with ``step_through=False`` the lab is on its own (no step controls,
    no steps as text).
    """
    steps = recording.steps
    zoom = "readable" if keyboard == "page" else "width"
    legend = _NETWORK_LEGEND if drawing.view == "network" else _VALUES_LEGEND
    if lab is not None:
        legend += _LAB_LEGEND
    if step_through:
        legend += _STEP_KEYS
    steps_as_text = "\n".join(step_as_list_item(step) for step in steps)
    all_steps = _ALL_STEPS.format(step_count=len(steps), steps_as_text=steps_as_text)
    return _PLAYER.format(
        css=page_file("player.css") + (page_file("lab.css") if lab is not None else ""),
        mode="page" if keyboard == "page" else "notebook",
        view=drawing.view,
        lab_attribute=' data-lab="on"' if lab is not None else "",
        showing="lab" if lab is not None else "steps",
        step_through="on" if step_through else "off",
        title=html.escape(title),
        tabindex=' tabindex="0"' if keyboard == "player" else "",
        switch=lab.switch if lab is not None else "",
        no_script=_NO_SCRIPT_LAB if lab is not None else _NO_SCRIPT_STEPS,
        last_step=len(steps) - 1,
        step_count=len(steps),
        svg=svg,
        lab_panel=lab.panel if lab is not None else "",
        legend=legend,
        all_steps=all_steps if step_through else "",
        data=json_for_script(script_data(recording, drawing, keyboard, zoom)),
        script=page_file("player.js"),
        lab_scripts=_lab_scripts(lab) if lab is not None else "",
        selected_readable=" selected" if zoom == "readable" else "",
        selected_width=" selected" if zoom == "width" else "",
    )


def _lab_scripts(lab: LabParts) -> str:
    data = json_for_script(lab.data)
    return (
        f'<script type="application/json" class="mgx-lab-data">{data}</script>\n'
        f"<script>{lab.script}</script>"
    )


def page(title: str, player: str) -> str:
    """A whole HTML page around one player."""
    return _PAGE.format(title=html.escape(title), player=player)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body {{ margin: 0; background: #f8fafc; }}</style>
</head>
<body>
{player}
</body>
</html>
"""

_NO_SCRIPT_STEPS = """Stepping through needs JavaScript, which is off here:
all the steps are listed below the graph as text."""

_NO_SCRIPT_LAB = """The live lab needs JavaScript, which is off here: the graph shows
the numbers as they were recorded."""

_ALL_STEPS = """<details class="mgx-all-steps" open>
  <summary>All {step_count} steps as text</summary>
  <ol>
{steps_as_text}
  </ol>
</details>"""

_LAB_LEGEND = """
  <span class="mgx-lab-only">Live lab: drag a slider or type a number (Enter) to change a
  leaf; the whole graph is computed again. Slider keys: arrows, Page Up/Down, Home/End.</span>"""

_STEP_KEYS = """
  <span class="mgx-keys mgx-step-only">Keys: <kbd>&#x2190;</kbd> <kbd>&#x2192;</kbd> step,
  <kbd>Home</kbd> <kbd>End</kbd> first and last, <kbd>Space</kbd> play or pause</span>"""

_VALUES_LEGEND = """  <span class="mgx-step-only">
    <i class="mgx-swatch mgx-swatch-current"></i>this step's node</span>
  <span class="mgx-step-only">
    <i class="mgx-swatch mgx-swatch-read"></i>inputs it reads (forward)</span>
  <span class="mgx-step-only">
    <i class="mgx-swatch mgx-swatch-blamed"></i>inputs it hands blame to (backward)</span>
  <span class="mgx-step-only">
    <i class="mgx-swatch mgx-swatch-pending"></i>not computed yet</span>
  <span class="mgx-step-only">
    <i class="mgx-swatch mgx-swatch-finished"></i>blame complete</span>
  <span class="mgx-step-only">A number shows once it is computed: "data ?" and "blame ?"
  are not known yet; "so far" is blame still arriving along several paths.</span>"""

_NETWORK_LEGEND = """  <span class="mgx-step-only">
    <i class="mgx-swatch mgx-swatch-current"></i>this step's layer</span>
  <span class="mgx-step-only">
    <i class="mgx-swatch mgx-swatch-read"></i>values it reads (forward)</span>
  <span class="mgx-step-only">
    <i class="mgx-swatch mgx-swatch-blamed"></i>values it hands blame to (backward)</span>
  <span>A line per weight: thicker = larger weight, dashed = negative; grey until its
  blame is known, then red (blame &gt; 0) or blue (&lt; 0), stronger = more blame.
  In each neuron, w1, w2 ... are its weights and b its bias.</span>"""

_PLAYER = """<div class="mgx-player" data-phase="start" data-mode="{mode}"
  data-view="{view}" data-showing="{showing}"
  data-step-through="{step_through}"{lab_attribute}{tabindex}>
<style>{css}</style>
<div class="mgx-stage">
<header class="mgx-header">
  <h2 class="mgx-title">{title}</h2>
  {switch}
</header>
<p class="mgx-no-script">{no_script}</p>
<div class="mgx-controls" role="group" aria-label="Step through the replay" hidden>
  <button type="button" class="mgx-first mgx-step-only" aria-label="First step"
    title="First step (Home)">&#xAB; First</button>
  <button type="button" class="mgx-previous mgx-step-only" aria-label="Previous step"
    title="Previous step (Left arrow)">&#x25C0; Previous</button>
  <button type="button" class="mgx-play mgx-step-only" aria-label="Play" aria-pressed="false"
    title="Play or pause (Space)">&#x25B6; Play</button>
  <button type="button" class="mgx-next mgx-step-only" aria-label="Next step"
    title="Next step (Right arrow)">Next &#x25B6;</button>
  <button type="button" class="mgx-last mgx-step-only" aria-label="Last step"
    title="Last step (End)">Last &#xBB;</button>
  <label class="mgx-slider-label mgx-step-only">Step
    <input type="range" class="mgx-slider" min="0" max="{last_step}" value="0" step="1">
  </label>
  <output class="mgx-counter mgx-step-only">1 / {step_count}</output>
  <label class="mgx-zoom-label">Size
    <select class="mgx-zoom" aria-label="Size of the drawing">
      <option value="readable"{selected_readable}>readable</option>
      <option value="width"{selected_width}>fit width</option>
      <option value="natural">100%</option>
    </select>
  </label>
</div>
<div class="mgx-body">
  <figure class="mgx-graph" role="img" aria-label="The computation graph, drawn by Graphviz">
{svg}
  </figure>
  <section class="mgx-panel" aria-live="polite" aria-atomic="true" hidden>
    <h3 class="mgx-step-title"><span class="mgx-phase"></span>
      <span class="mgx-title-text"></span></h3>
    <p class="mgx-note"></p>
    <div class="mgx-lines"></div>
  </section>
  {lab_panel}
</div>
</div>
<aside class="mgx-legend" aria-label="Legend" hidden>
  <span class="mgx-story">The forward pass computes every value from the leaves; the
  backward pass hands every node its share of the blame (its gradient), by the chain
  rule.</span>
{legend}
</aside>
{all_steps}
<script type="application/json" class="mgx-data">{data}</script>
<script>{script}</script>
{lab_scripts}
</div>"""
