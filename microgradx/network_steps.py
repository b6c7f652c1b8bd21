"""The network view's steps: the blame game told layer by layer.

``record_steps(loss, view="network", model=model)`` (see ``microgradx.steps``)
makes these steps from a graph snapshot and the network's shape
(``microgradx.network_view``):

1. **Start**: the facts go in at the bottom; the knobs hold their values.
2. **Forward**, one step per layer: every neuron adds up weight × input and its
   bias and applies its activation; one neuron is spelled out with its numbers.
3. **The loss**, with its formula (``error = (guess - true price)²``).
4. **Backward pass begins**: the loss's blame for itself is 1, and it hands it to
   the output.
5. **Backward**, one step per layer from the top: "layer 2 hands blame to layer 1",
   each neuron's blame through its activation to its knobs and to the values it
   reads; the first lines spell out the chain rule of one weight from the loss
   down, a product of local derivatives.
6. **The nudge**: every knob with its blame and ``knob - learning rate × blame``.

The shares of blame each step hands on are the snapshot's, in ``backward()``'s
order, so every number is bit for bit what ``backward()`` computes.
"""

from __future__ import annotations

from microgradx.labels import format_number
from microgradx.snapshot import BlameShare, GraphSnapshot, NeuronParts
from microgradx.steps import (
    Recording,
    Step,
    _bracketed_number,
    _join_names,
    _node_infos,
    _Texts,
    _timeline,
    _unique,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from microgradx.network_view import Focus, NetworkShape


class NetworkRecorder(_Texts):
    """Builds the steps of the network view: the blame game, layer by layer."""

    def __init__(
        self, snapshot: GraphSnapshot, shape: NetworkShape, focus: Focus, learning_rate: float
    ) -> None:
        from microgradx.network_view import network_names

        super().__init__(snapshot, network_names(snapshot, shape))
        self.shape = shape
        self.focus = focus
        self.learning_rate = learning_rate
        self.layers = shape.layers
        self.steps: list[Step] = []
        self.on_route = {neuron.layer: (neuron, slot) for neuron, slot in focus.route}
        self.shares_of: dict[int, list[BlameShare]] = {}
        for share in snapshot.shares:
            self.shares_of.setdefault(share.node, []).append(share)

    def record(self) -> Recording:
        s, shape = self.s, self.shape
        count = len(s.values)
        last = len(self.layers) + 1
        stage_step: dict[int, int] = {0: 0}
        self.steps.append(self.start_step())
        for layer in self.layers:
            stage_step[layer[0].layer] = len(self.steps)
            self.steps.append(self.forward_layer_step(layer))
        if shape.loss_part:
            stage_step[last] = len(self.steps)
            self.steps.append(self.loss_step())
        value_step = [
            stage_step.get(stage, 0) if s.children[i] else 0 for i, stage in enumerate(shape.stage)
        ]
        hand_at: dict[int, int] = {}
        seed_step = len(self.steps)
        hand_at[last] = seed_step
        self.steps.append(self.seed_step())
        for layer in reversed(self.layers):
            hand_at[layer[0].layer] = len(self.steps)
            self.steps.append(self.backward_layer_step(layer))
        hand_at[0] = hand_at[1]
        hand_step: list[int | None] = [
            hand_at[shape.stage[i]] if s.children[i] else None for i in range(count)
        ]
        self.steps.append(self.nudge_step())
        timeline = _timeline(s, value_step, hand_step, seed_step)
        return Recording(
            self.steps, _node_infos(s, timeline), list(s.blame), timeline, view="network"
        )

    # -- names ------------------------------------------------------------

    def out(self, neuron: NeuronParts) -> int:
        assert neuron.output is not None
        return neuron.output

    def layer_outputs(self, layer: Sequence[NeuronParts]) -> tuple[int, ...]:
        return tuple(self.out(n) for n in layer)

    def weight_edges(self, layer: Sequence[NeuronParts]) -> tuple[str, ...]:
        from microgradx.network_view import weight_edge_id

        return tuple(weight_edge_id(w) for n in layer for w in n.weights)

    def sum_of(self, neuron: NeuronParts) -> int:
        """The node the activation reads: the weighted sum plus the bias."""
        out = self.out(neuron)
        if neuron.activation == "linear":
            return out
        return self.s.children[out][0]

    def neuron_formula(self, neuron: NeuronParts, numbers: bool) -> str:
        """``relu(L1.N1.w1 × size + ... + L1.N1.b)``, or the same with the numbers."""
        s = self.s
        terms = []
        for w, x in zip(neuron.weights, neuron.inputs):
            assert x is not None
            if numbers:
                terms.append(f"{_bracketed_number(s.data[w])} × {_bracketed_number(s.data[x])}")
            else:
                terms.append(f"{self.names[w]} × {self.names[x]}")
        if neuron.bias is not None:
            terms.append(
                _bracketed_number(s.data[neuron.bias]) if numbers else self.names[neuron.bias]
            )
        inside = " + ".join(terms)
        return inside if neuron.activation == "linear" else f"{neuron.activation}({inside})"

    # -- start and forward ------------------------------------------------

    def start_step(self) -> Step:
        s, shape = self.s, self.shape
        sizes = ", ".join(
            f"layer {layer[0].layer}: {len(layer)} neuron{'s' if len(layer) > 1 else ''}"
            for layer in self.layers
        )
        knobs = [i for i in s.leaves if s.roles[i] == "parameter"]
        lines = [self.leaf_line(i) for i in shape.inputs]
        lines.append(
            f"{len(knobs)} knobs: a weight per line of the drawing and a bias b in each neuron"
        )
        lines += [self.leaf_line(i) for i in shape.loss_constants]
        return Step(
            phase="start",
            node=None,
            title="Start: the facts go in at the bottom",
            lines=tuple(lines),
            note=(
                f"The network reads its {len(shape.inputs)} inputs at the bottom and every "
                f"layer passes its results up ({sizes}). Each neuron adds up weight × input "
                "over its inputs, adds its bias b, and applies its activation. The knobs "
                "start as they are; the backward pass will tell each one which way to move."
            ),
            current=shape.inputs,
            inputs=(),
            flowing=(),
        )

    def forward_layer_step(self, layer: Sequence[NeuronParts]) -> Step:
        s = self.s
        number = layer[0].layer
        spelled, _ = self.on_route.get(number, (layer[0], 0))
        lines = [
            f"{self.names[self.out(spelled)]} = {self.neuron_formula(spelled, numbers=False)}",
            f"   = {self.neuron_formula(spelled, numbers=True)}",
        ]
        pre = self.sum_of(spelled)
        if spelled.activation != "linear":
            lines.append(
                f"   = {spelled.activation}({format_number(s.data[pre])}) = "
                f"{format_number(s.data[self.out(spelled)])}"
            )
        else:
            lines[-1] += f" = {format_number(s.data[self.out(spelled)])}"
        for neuron in layer:
            if neuron is spelled:
                continue
            out, pre = self.out(neuron), self.sum_of(neuron)
            if neuron.activation == "linear":
                lines.append(f"{self.names[out]} = {format_number(s.data[out])}")
            else:
                lines.append(
                    f"{self.names[out]} = {neuron.activation}({format_number(s.data[pre])}) = "
                    f"{format_number(s.data[out])}"
                )
        activations = sorted({n.activation for n in layer})
        what = (
            "and that is its output"
            if activations == ["linear"]
            else f"then applies {' or '.join(activations)}"
        )
        if "relu" in activations:
            what += " (a negative sum becomes 0: the neuron is off)"
        reads = _unique(j for n in layer for j in n.inputs if j is not None)
        return Step(
            phase="forward",
            node=None,
            title=(
                f"Forward {number} of {len(self.layers)}: layer {number} computes its "
                f"{len(layer)} neuron{'s' if len(layer) > 1 else ''}"
            ),
            lines=tuple(lines),
            note=(
                f"Each neuron of layer {number} adds up weight × input over its "
                f"{len(layer[0].weights)} inputs, adds its bias b, {what}. The first line "
                f"spells it out for {spelled.name}."
            ),
            current=self.layer_outputs(layer),
            inputs=tuple(reads),
            flowing=self.weight_edges(layer),
        )

    def loss_step(self) -> Step:
        s, shape = self.s, self.shape
        lines = []
        for i in shape.loss_part:
            lines.append(self.forward_lines(i)[0])
        outputs = self.layer_outputs(self.layers[-1])
        return Step(
            phase="forward",
            node=s.root,
            title=f"The loss: {self.names[s.root]} = {format_number(s.data[s.root])}",
            lines=tuple(lines),
            note=(
                "The loss measures how far the output is from what it should be: the larger "
                "it is, the worse the guess. Training wants it small, so the backward pass "
                "starts here."
            ),
            current=(s.root,),
            inputs=tuple(_unique([*outputs, *shape.loss_constants])),
            flowing=tuple(f"to-loss-{j}" for j in [*outputs, *shape.loss_constants]),
            value=s.data[s.root],
        )

    # -- backward ---------------------------------------------------------

    def seed_step(self) -> Step:
        s, shape = self.s, self.shape
        root = s.root
        name = self.refs[root]
        from microgradx.network_view import loss_title

        lines = [f"{name}.grad = d {name} / d {name} = 1.0"]
        shares: list[BlameShare] = []
        shown = loss_title(s, shape, self.names)
        spelled = all(self.names[i] in shown for i in shape.loss_part)
        outputs = self.layer_outputs(self.layers[-1])
        for i in s.backward_order:
            if shape.stage[i] == len(self.layers) + 1:
                node_shares = self.shares_of.get(i, [])
                shares += node_shares
                if spelled:  # every step of the loss is named on its node
                    lines += self.share_lines(i, node_shares)
        if not spelled:
            lines += [
                f"{self.refs[j]}.grad = d {name} / d {self.names[j]} = {format_number(s.blame[j])}"
                for j in outputs
            ]
        who = _join_names([self.names[j] for j in outputs])
        note = (
            f"The backward pass starts at the loss: its blame for itself is 1. The loss "
            f"hands it on to {who} by the chain rule: the local derivative times the blame."
        )
        if not shape.loss_part:
            note = f"The backward pass starts at the output: the blame of {name} for itself is 1."
        return Step(
            phase="seed",
            node=root,
            title=f"Backward pass begins: the loss hands blame to {who}",
            lines=tuple(lines),
            note=note,
            current=(root,),
            inputs=outputs,
            flowing=tuple(f"to-loss-{j}" for j in [*outputs, *shape.loss_constants]),
            value=1.0,
            shares=tuple(shares),
        )

    def backward_layer_step(self, layer: Sequence[NeuronParts]) -> Step:
        s = self.s
        number = layer[0].layer
        members = {i for n in layer for i in n.members}
        if number == 1:
            members |= set(self.shape.before)
        shares = tuple(
            share for i in s.backward_order if i in members for share in self.shares_of.get(i, [])
        )
        lines = self.route_lines(layer)
        for neuron in layer:
            lines += self.neuron_lines(neuron)
        if number == 1:
            lines += self.input_lines(shares)
            target = "its knobs and to the inputs"
        else:
            target = f"layer {number - 1}"
        below = _unique(j for n in layer for j in n.inputs if j is not None)
        return Step(
            phase="backward",
            node=None,
            title=f"Backward: layer {number} hands blame to {target}",
            lines=tuple(lines),
            note=self.layer_note(layer),
            current=self.layer_outputs(layer),
            inputs=tuple(below),
            flowing=self.weight_edges(layer),
            shares=shares,
        )

    def share_to(self, child: int, nodes: Iterable[int] = ()) -> BlameShare:
        """The share of blame that reaches ``child`` (from one of ``nodes``, if given)."""
        wanted = set(nodes)
        return next(
            share for share in self.s.blame_reached[child] if not wanted or share.node in wanted
        )

    def knob_line(self, neuron: NeuronParts, slot: int) -> str:
        """``L1.N3.w1.grad = size (-0.3716) × (-0.4268) = 0.1586``: input × blame of the sum."""
        s = self.s
        w, x = neuron.weights[slot], neuron.inputs[slot]
        assert x is not None
        share = self.share_to(w)
        return (
            f"{self.refs[w]}.grad = {self.names[x]} ({format_number(s.data[x])}) × "
            f"{_bracketed_number(share.node_grad)} = {format_number(share.share)}"
        )

    def route_lines(self, layer: Sequence[NeuronParts]) -> list[str]:
        """The route's weight in this layer: its blame as a product, from the loss down.

        d loss / d w = the input w multiplies × the activation's slope × the weight
        that reads this neuron × ... up to the blame of the first value with more
        than one reader (or the network's output).
        """
        s = self.s
        number = layer[0].layer
        if number not in self.on_route:
            return []
        neuron, slot = self.on_route[number]
        w, x = neuron.weights[slot], neuron.inputs[slot]
        assert x is not None
        factors = [(self.names[x], s.data[x])]
        readers = {j: n for other in self.layers for n in other for j in n.inputs if j is not None}
        while True:
            out = self.out(neuron)
            if neuron.activation != "linear":
                factors.append((f"{neuron.activation} slope", s.local_grads[out][0]))
            reader = readers.get(out)
            if reader is None or s.paths[out] != 1:
                factors.append((f"{self.refs[out]}.grad", s.blame[out]))
                break
            weight = reader.weights[reader.inputs.index(out)]
            factors.append((self.names[weight], s.data[weight]))
            neuron = reader
        names = " × ".join(name for name, _ in factors)
        numbers = " × ".join(_bracketed_number(value) for _, value in factors)
        return [
            f"chain rule for {self.names[w]}: d {self.refs[s.root]} / d {self.names[w]} = {names}",
            f"   = {numbers} = {format_number(s.blame[w])}",
        ]

    def neuron_lines(self, neuron: NeuronParts) -> list[str]:
        s = self.s
        out, pre = self.out(neuron), self.sum_of(neuron)
        line = f"{self.refs[out]}.grad = {format_number(s.blame[out])}"
        if neuron.activation != "linear":
            slope = s.local_grads[out][0]
            line += (
                f"; × {neuron.activation} slope {format_number(slope)} = "
                f"{format_number(s.blame[pre])}"
            )
            if slope == 0.0:
                return [f"{line} (off): {neuron.name}'s knobs and inputs get no blame"]
        lines = [line]
        if neuron.bias is not None:
            lines.append(f"  {self.refs[neuron.bias]}.grad = {format_number(s.blame[neuron.bias])}")
        for slot in range(len(neuron.weights)):
            lines.append(f"  {self.knob_line(neuron, slot)}")
        for slot, x in enumerate(neuron.inputs):
            if x is not None and s.children[x] and self.shape.stage[x] >= 1:
                share = self.share_to(x, neuron.sums)
                weight = neuron.weights[slot]
                lines.append(
                    f"  to {self.names[x]}: {self.names[weight]} ({format_number(s.data[weight])}) "
                    f"× {_bracketed_number(share.node_grad)} = {format_number(share.share)}"
                )
        return lines

    def input_lines(self, shares: Sequence[BlameShare]) -> list[str]:
        """Each input's blame, the sum of one share per neuron that reads it."""
        s = self.s
        lines = []
        for x in self.shape.inputs:
            parts = [share for share in shares if share.child == x]
            if not parts:
                continue
            terms = " + ".join(_bracketed_number(share.share) for share in parts)
            lines.append(
                f"{self.refs[x]}.grad = {terms} = {format_number(s.blame[x])}"
                f"   ({len(parts)} path{'s' if len(parts) > 1 else ''})"
            )
        return lines

    def layer_note(self, layer: Sequence[NeuronParts]) -> str:
        number = layer[0].layer
        parts = [
            f"Each neuron of layer {number} now holds its full blame. By the chain rule "
            "it hands a share to each of its knobs (the local derivative of a weight is "
            "the input it multiplies; of the bias, 1) and to each value it reads (the "
            "local derivative is the weight)."
        ]
        if any(n.activation == "relu" for n in layer):
            parts.append(
                "Through relu, blame passes only where the neuron was on; an off neuron's "
                "knobs get no blame."
            )
        if number == 1:
            parts.append(
                "Each input feeds every neuron of layer 1, so its blame is the sum of their "
                "shares: blame from several paths adds up."
            )
        if number in self.on_route:
            neuron, slot = self.on_route[number]
            parts.append(
                f"The first lines follow one route from the loss down to "
                f"{self.names[neuron.weights[slot]]}: its blame is the product of the "
                "local derivatives along the way."
            )
        return " ".join(parts)

    def nudge_step(self) -> Step:
        s = self.s
        rate = self.learning_rate
        lines = []
        focus = self.focus.weight
        knobs = [i for i in self.leaves_by_role() if s.roles[i] == "parameter"]
        for i in [focus, *[k for k in knobs if k != focus]]:
            new = s.data[i] - rate * s.blame[i]
            lines.append(
                f"{self.refs[i]}.grad = {format_number(s.blame[i])}   nudge: "
                f"{format_number(s.data[i])} - {format_number(rate)} × "
                f"{_bracketed_number(s.blame[i])} = {format_number(new)}"
            )
        return Step(
            phase="done",
            node=None,
            title=f"The nudge: every knob moves against its blame (learning rate {rate:g})",
            lines=tuple(lines),
            note=(
                "Every knob now holds its blame, exactly what backward() computes. The "
                "nudge moves each one a little the other way: new = old - learning rate × "
                "blame. A knob with positive blame goes down, one with negative blame goes "
                "up, and the next guess is a little better. Training repeats this over "
                "many examples."
            ),
            current=tuple(knobs),
            inputs=(),
            flowing=(),
        )
