"""Random computation graphs: backprop against central differences, the generator's
promises (domains, reuse, depth, a runnable printout), and topological_order."""

from __future__ import annotations

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.vendor.pretty import pretty

from microgradx.engine import Value, sum_values, topological_order
from microgradx.gradcheck import gradcheck
from microgradx.testing import (
    KINK_MARGIN,
    OPERATION_NAMES,
    Expression,
    expressions,
    nonzero_reals,
    positive_reals,
    reals,
    values,
)

FEW = settings(max_examples=20)
SEARCH = settings(database=None, max_examples=5000, phases=[Phase.generate])
"""For find(): any example will do, so skip the shrinking."""

# ----------------------------------------------------------------------
# Backprop agrees with central differences on random graphs
# ----------------------------------------------------------------------


@given(expressions())
def test_random_expressions_pass_gradcheck(expression: Expression) -> None:
    assert gradcheck(expression, expression.input_values())


@FEW
@given(expressions(min_steps=40, max_steps=80, max_inputs=2))
def test_deep_random_chains_pass_gradcheck(expression: Expression) -> None:
    assert gradcheck(expression, expression.input_values())


@FEW
@given(expressions(min_inputs=1, max_inputs=1, min_steps=5, max_steps=15))
def test_graphs_of_one_input_reused_everywhere_pass_gradcheck(expression: Expression) -> None:
    assert gradcheck(expression, expression.input_values())


@pytest.mark.parametrize("name", OPERATION_NAMES)
@FEW
@given(data=st.data())
def test_each_operation_alone_passes_gradcheck(name: str, data: st.DataObject) -> None:
    expression = data.draw(expressions(operations=[name], min_inputs=2, max_steps=4))
    assert expression.operation_names == {name}
    assert gradcheck(expression, expression.input_values())


# ----------------------------------------------------------------------
# The generator keeps its promises
# ----------------------------------------------------------------------


def parents_per_node(root: Value) -> dict[Value, int]:
    """How many edges lead out of each node (a t * t counts twice)."""
    counts: dict[Value, int] = {}
    for node in topological_order(root):
        for child in node.children:
            counts[child] = counts.get(child, 0) + 1
    return counts


def depth(root: Value) -> int:
    longest: dict[Value, int] = {}
    for node in topological_order(root):
        longest[node] = 1 + max((longest[child] for child in node.children), default=0)
    return longest[root]


@given(expressions(max_magnitude=100.0))
def test_every_op_stays_inside_its_domain_away_from_kinks(expression: Expression) -> None:
    root = expression(*expression.input_values())
    for node in topological_order(root):
        assert abs(node.data) <= 100.0
        if node.op in ("log", "sqrt"):
            assert node.children[0].data >= KINK_MARGIN
        elif node.op in ("abs", "relu", "leaky_relu"):
            assert abs(node.children[0].data) >= KINK_MARGIN
        elif node.op == "/":
            assert abs(node.children[1].data) >= KINK_MARGIN
        elif node.op == "**":
            assert node.children[0].data >= KINK_MARGIN


def test_the_generator_makes_diamonds_self_products_and_deep_chains() -> None:
    def built(expression: Expression) -> Value:
        return expression(*expression.input_values())

    diamond = find(
        expressions(),
        lambda e: any(n > 1 for n in parents_per_node(built(e)).values()),
        settings=SEARCH,
    )
    assert max(parents_per_node(built(diamond)).values()) > 1

    square = find(
        expressions(),
        lambda e: any(len(set(n.children)) < len(n.children) for n in topological_order(built(e))),
        settings=SEARCH,
    )
    assert square.steps

    deep = find(
        expressions(min_steps=30, max_steps=40), lambda e: depth(built(e)) >= 25, settings=SEARCH
    )
    assert depth(built(deep)) >= 25


@given(expressions())
def test_the_printout_is_a_python_program_that_rebuilds_the_same_graph(
    expression: Expression,
) -> None:
    namespace: dict[str, object] = {}
    exec(str(expression), namespace)
    last = f"t{len(expression.steps) - 1}"
    assert namespace[last].data == expression(*expression.input_values()).data
    assert repr(expression) == f"Expression({'; '.join(expression.lines())})"


def test_the_hypothesis_display_is_one_line_per_step() -> None:
    expression = find(expressions(max_steps=3), lambda e: len(e.steps) == 3, settings=SEARCH)
    lines = pretty(expression).splitlines()
    assert lines[0] == "Expression("
    assert lines[1:-1] == ["    " + line for line in expression.lines()]
    assert lines[-1] == ")"


def test_expressions_accept_numbers_or_values_and_check_the_count() -> None:
    expression = find(expressions(min_inputs=2, max_inputs=2), lambda e: True, settings=SEARCH)
    from_numbers = expression(*expression.inputs)
    from_values = expression(*expression.input_values())
    assert from_numbers.data == from_values.data
    with pytest.raises(TypeError, match="takes 2 inputs"):
        expression(1.0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"operations": ["log", "tan"]}, "unknown operation 'tan'"),
        ({"operations": []}, "at least one operation"),
        ({"min_steps": 5, "max_steps": 2}, "min_steps"),
        ({"min_inputs": 0}, "min_inputs"),
        ({"max_magnitude": 0.5}, "max_magnitude"),
    ],
)
def test_bad_generator_settings_are_explained(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        expressions(**arguments)  # type: ignore[arg-type]


# ----------------------------------------------------------------------
# Number and Value strategies
# ----------------------------------------------------------------------


@given(reals(-2.0, 3.0), positive_reals(0.5, 4.0), nonzero_reals(0.25, 8.0))
def test_number_strategies_stay_in_range(x: float, positive: float, nonzero: float) -> None:
    assert -2.0 <= x <= 3.0
    assert 0.5 <= positive <= 4.0
    assert 0.25 <= abs(nonzero) <= 8.0


@given(values(reals(-1.0, 1.0), label="w"), values())
def test_values_strategy_makes_labelled_leaves(w: Value, plain: Value) -> None:
    assert w.label == "w" and -1.0 <= w.data <= 1.0
    assert plain.label == "" and -100.0 <= plain.data <= 100.0
    assert w.children == () and w.grad == 0.0


def test_positive_reals_refuses_a_non_positive_minimum() -> None:
    with pytest.raises(ValueError, match="min_value > 0"):
        positive_reals(0.0)


# ----------------------------------------------------------------------
# topological_order on random DAGs
# ----------------------------------------------------------------------

# A random DAG: each new node sums one to three earlier nodes (repeats allowed),
# each picked by an index taken modulo the number of nodes so far.
dags = st.tuples(
    st.integers(1, 4),
    st.lists(st.lists(st.integers(0, 10_000), min_size=1, max_size=3), max_size=40),
)


def build_dag(shape: tuple[int, list[list[int]]]) -> Value:
    input_count, node_picks = shape
    nodes = [Value(float(i), label=f"x{i}") for i in range(input_count)]
    for picks in node_picks:
        nodes.append(sum_values([nodes[pick % len(nodes)] for pick in picks]))
    return nodes[-1]


def reachable(root: Value) -> set[Value]:
    """Every node root depends on, found without topological_order."""
    seen = {root}
    frontier = [root]
    while frontier:
        for child in frontier.pop().children:
            if child not in seen:
                seen.add(child)
                frontier.append(child)
    return seen


def structure(order: list[Value]) -> list[tuple[str, float, tuple[int, ...]]]:
    """The order written with positions instead of objects: equal for equal graphs."""
    position = {node: i for i, node in enumerate(order)}
    return [(node.op, node.data, tuple(position[c] for c in node.children)) for node in order]


@given(dags)
def test_topological_order_lists_each_node_once_children_first_root_last(
    shape: tuple[int, list[list[int]]],
) -> None:
    root = build_dag(shape)
    order = topological_order(root)
    assert len(order) == len(set(order)), "each node once"
    assert set(order) == reachable(root), "every node the root depends on, nothing else"
    assert order[-1] is root
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        for child in node.children:
            assert position[child] < position[node], "every child before its parent"


@given(dags)
def test_topological_order_is_deterministic(shape: tuple[int, list[list[int]]]) -> None:
    """The order depends only on the graph's structure, not on object ids or hashes."""
    first_root, second_root = build_dag(shape), build_dag(shape)
    first = topological_order(first_root)
    assert topological_order(first_root) == first
    assert structure(topological_order(second_root)) == structure(first)


@given(expressions(max_steps=20))
def test_topological_order_of_random_expressions(expression: Expression) -> None:
    root = expression(*expression.input_values())
    order = topological_order(root)
    assert order[-1] is root and len(order) == len(set(order)) == len(reachable(root))
    position = {node: i for i, node in enumerate(order)}
    assert all(position[c] < position[n] for n in order for c in n.children)
