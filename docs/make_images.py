"""Regenerate the images of the README: ``python docs/make_images.py``.

``docs/neuron.svg`` is the blame graph of the demo neuron (demos/neuron_graph.py)
after backward, drawn top to bottom so that it reads at the width GitHub gives a
README picture (at most about 830 px: the drawing is about 940 px wide, so its
smallest text shows at about 12 px). It is drawn with graphviz-pure, which gives
the same bytes on every platform, so running this again changes the file only
when the drawing itself changes. The file is replaced in one step (``render``
writes through ``microgradx.files.write_atomically``): a failed run leaves the old
image. Do not edit the SVG by hand.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from microgradx.graph import render
from microgradx.render import RenderError, available_renderers

DOCS = Path(__file__).resolve().parent
DEMO = DOCS.parent / "demos" / "neuron_graph.py"


def draw_neuron(path: Path) -> Path:
    """Draw the demo neuron's blame graph, after backward, to ``path`` with graphviz-pure."""
    renderer = next((r for r in available_renderers() if r.name == "graphviz-pure"), None)
    if renderer is None:
        sys.exit("docs/make_images.py draws with graphviz-pure: pip install graphviz-pure")
    demo = runpy.run_path(str(DEMO))
    values = demo["build_neuron"]()
    values["o"].backward()
    knobs = [values[label] for label in demo["KNOBS"]]
    return render(
        values["o"],
        path,
        renderer=renderer,
        parameters=knobs,
        show_passed_blame=True,
        rankdir="TB",
    )


def main() -> None:
    try:
        path = draw_neuron(DOCS / "neuron.svg")
    except RenderError as error:
        sys.exit(f"docs/neuron.svg was not changed: {error}")
    print(f"wrote {path.relative_to(DOCS.parent)}")


if __name__ == "__main__":
    main()
