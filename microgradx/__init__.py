"""microgradx: a scalar autograd engine for teaching backpropagation.

The names below are the public face of the package; the code lives in the modules:
engine (Value, backward), nn, losses, optim, tape (replaying a recorded graph),
gradcheck, testing (Hypothesis strategies), graph and render (drawing with Graphviz),
player (step-through page).
Drawing and the player load Graphviz only when first used, to keep this import fast.
``use_graphviz_renderer()`` makes code that builds its own ``graphviz.Digraph`` (the
micrograd lecture's ``draw_dot``) draw with the renderer microgradx finds.
"""

from microgradx import losses, nn, ops, optim
from microgradx.autodiff import grad, hessian, jvp
from microgradx.engine import Value, dot, is_grad_enabled, no_grad, sum_values, topological_order
from microgradx.gradcheck import GradcheckError, gradcheck, numerical_grad
from microgradx.nn import MLP, Layer, Module, Neuron
from microgradx.optim import SGD, Adam
from microgradx.tape import BatchTape, Tape

__version__ = "0.1.0"

TYPE_CHECKING = False
if TYPE_CHECKING:  # what __getattr__ below imports on first use, spelled out for type checkers
    from microgradx.graph import GraphTooLargeError, draw_dot
    from microgradx.player import BackpropPlayer, explain
    from microgradx.render import RendererNotFoundError, use_graphviz_renderer

_LAZY_NAMES = {
    "draw_dot": "microgradx.graph",
    "GraphTooLargeError": "microgradx.graph",
    "RendererNotFoundError": "microgradx.render",
    "use_graphviz_renderer": "microgradx.render",
    "explain": "microgradx.player",
    "BackpropPlayer": "microgradx.player",
}


def __getattr__(name: str) -> object:
    """Import the drawing and player names on first use (they need Graphviz)."""
    if name in _LAZY_NAMES:
        import importlib

        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    raise AttributeError(f"module 'microgradx' has no attribute {name!r}")


__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "BackpropPlayer",
    "BatchTape",
    "GradcheckError",
    "GraphTooLargeError",
    "Layer",
    "Module",
    "Neuron",
    "RendererNotFoundError",
    "Tape",
    "Value",
    "__version__",
    "dot",
    "draw_dot",
    "explain",
    "grad",
    "gradcheck",
    "hessian",
    "is_grad_enabled",
    "jvp",
    "losses",
    "nn",
    "no_grad",
    "numerical_grad",
    "ops",
    "optim",
    "sum_values",
    "topological_order",
    "use_graphviz_renderer",
]
