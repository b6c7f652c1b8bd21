"""microgradx: a scalar autograd engine for teaching backpropagation."""

from microgradx.engine import Value, dot, is_grad_enabled, no_grad, sum_values, topological_order

__version__ = "0.1.0"

__all__ = [
    "Value",
    "__version__",
    "dot",
    "is_grad_enabled",
    "no_grad",
    "sum_values",
    "topological_order",
]
