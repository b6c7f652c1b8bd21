"""Side-by-side benchmark: microgradx against micrograd and PyTorch (scalar tensors).

Run it from the repository root, after ``pip install -e .``::

    python benchmarks/bench.py            # the full run (a few minutes)
    python benchmarks/bench.py --quick    # smaller sizes, fewer repeats (about a minute)

micrograd and PyTorch are optional: when one is missing, the script says so and
how to add it (``pip install micrograd==0.1.0``, ``pip install torch``), and
measures the others.

Every workload runs the same math on every engine, in one run, interleaving the
engines (engine A, engine B, engine C, then again), with several repeats. Each
engine lives in its own worker process, so that none pays for another's objects
(importing torch alone adds about 150,000 objects for the garbage collector). The
tables give the median, the min-max range and the ratio to micrograd: the
median over the repeats of micrograd's time / this engine's time in the same
repeat (a paired ratio: both ran within the same minute). The garbage collector
stays on, as in a user's program; except in the demo step's loop, it is run
(untimed) before each measurement so that every engine starts clean.

Workloads:

* **demo step**: micrograd's own demo, one training step: MLP(2, [16, 16, 1])
  with ReLU, max-margin loss + L2 (alpha 1e-4), 100 "moons" points, full batch,
  forward + backward + SGD. Same data and the same initial weights (copied from
  micrograd's model) in every engine; the losses must agree to 1e-9. It is timed
  as a training loop runs: LOOP_STEPS consecutive steps, the garbage collector on
  and nothing untimed between them (the garbage of one step is collected during
  the next, as in a real loop); each repeat gives the median step of its loop.
  "microgradx, tape" records the step's graph once (untimed) and replays it.
* **chain replay**: the tanh chain recorded on a ``Tape`` once, then replayed
  (forward + backward), per node of the chain.
* **chain**: ``y = tanh(y * 1.0001 + 0.1)``, 1e3 to 1e6 links deep (5 nodes a
  link). micrograd 0.1.0 has no tanh, so ``chain relu`` runs the same chain with
  relu in every engine.
* **sum of products**: ``x1*w1 + x2*w2 + ...`` written with plain ``+`` and ``*``
  (4 nodes a term, leaves included).
* **backward alone** on a prebuilt graph (topological sort included).
* **memory**: bytes per node measured with tracemalloc, and peak memory, each
  engine in a fresh process.
* **import time** of ``import microgradx``.

This file is a script that prints figures; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

LINK_NODES = 5
"""Nodes per link of the chain: constant 1.0001, product, constant 0.1, sum, tanh."""
TERM_NODES = 4
"""Nodes per term of the sum of products: x, w, x*w, and the running sum."""
ALPHA = 1e-4
"""L2 strength of micrograd's demo."""
MEMORY_TERMS = 25 * 10**3
"""Memory is measured on the sum of 2.5e4 products: a graph of 1e5 nodes."""
MICROGRAD_SEED = 1337
"""micrograd's demo seeds Python's random module with 1337 before building its MLP."""


# ----------------------------------------------------------------------
# The machine
# ----------------------------------------------------------------------


def cpu_model() -> str:
    """The CPU's model name, from /proc/cpuinfo where there is one."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_machine(engines: Sequence[Worker]) -> str:
    versions = ", ".join(f"{engine.name} {engine.version}" for engine in engines)
    return (
        f"CPU: {cpu_model()}, {os.cpu_count()} cores; "
        f"{platform.python_implementation()} {platform.python_version()} on "
        f"{platform.system()} {platform.release()}; {versions}"
    )


# ----------------------------------------------------------------------
# The data: two interleaving half circles, like scikit-learn's make_moons
# ----------------------------------------------------------------------


def make_moons(n: int = 100, noise: float = 0.1, seed: int = MICROGRAD_SEED):
    """``n`` points on two half moons with Gaussian noise, labels -1 and +1.

    The same recipe as ``sklearn.datasets.make_moons`` (upper moon: (cos t, sin t),
    lower moon: (1 - cos t, 0.5 - sin t)), drawn from Python's own generator so that
    the benchmark needs neither numpy nor scikit-learn.
    """
    rng = random.Random(seed)
    half = n // 2
    points, labels = [], []
    for moon, count in ((0, n - half), (1, half)):
        for i in range(count):
            t = math.pi * i / (count - 1)
            if moon == 0:
                x, y = math.cos(t), math.sin(t)
            else:
                x, y = 1.0 - math.cos(t), 0.5 - math.sin(t)
            points.append((x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)))
            labels.append(1 if moon == 1 else -1)
    return points, labels


def micrograd_style_weights(seed: int = MICROGRAD_SEED) -> list[list[list[float]]]:
    """Initial weights of MLP(2, [16, 16, 1]) drawn as micrograd draws them.

    For each layer, for each neuron: its weights (uniform in [-1, 1]) then bias 0.
    Used when micrograd is not installed; with micrograd, its model's weights are
    copied instead.
    """
    rng = random.Random(seed)
    sizes = [2, 16, 16, 1]
    return [
        [[rng.uniform(-1, 1) for _ in range(n_in)] + [0.0] for _ in range(n_out)]
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    ]


# ----------------------------------------------------------------------
# Engines: the same workloads written for each
# ----------------------------------------------------------------------


class Engine:
    """One autograd engine, with the workloads written in its own idiom."""

    name = ""
    version = ""
    Value: Any = None
    """The engine's scalar class, for engines written in micrograd's style."""
    slow = False
    """A slow engine runs graphs up to 1e5 links or terms (2.5e4 with --quick), not 1e6."""

    def leaf(self, x: float) -> Any:
        raise NotImplementedError

    def tanh(self, v: Any) -> Any:
        raise NotImplementedError

    def relu(self, v: Any) -> Any:
        return v.relu()

    def backward(self, root: Any) -> None:
        root.backward()

    def count_nodes(self, root: Any) -> int | None:
        return None

    def build_demo(self, weights: list[list[list[float]]]) -> Any:
        raise NotImplementedError

    def demo_loss(self, model: Any, points, labels) -> Any:
        """micrograd's demo loss, as its demo writes it: max-margin + L2, plain sum()."""
        Value = self.Value
        inputs = [list(map(Value, row)) for row in points]
        scores = list(map(model, inputs))
        losses = [(1 + -label * score).relu() for label, score in zip(labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        return data_loss + reg_loss

    def demo_step(self, model: Any, points, labels, step: int) -> float:
        """One step of micrograd's demo: the loss, backward, then SGD with a decaying rate."""
        loss = self.demo_loss(model, points, labels)
        model.zero_grad()
        loss.backward()
        learning_rate = 1.0 - 0.9 * step / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        return loss.data


class MicrogradX(Engine):
    name = "microgradx"

    def __init__(self) -> None:
        import microgradx
        from microgradx import engine, nn

        self.version = microgradx.__version__
        self.Value = engine.Value
        self.sum_values = engine.sum_values
        self.topological_order = engine.topological_order
        self.MLP = nn.MLP

    def leaf(self, x: float):
        return self.Value(x)

    def tanh(self, v):
        return v.tanh()

    def count_nodes(self, root) -> int:
        return len(self.topological_order(root))

    def build_demo(self, weights):
        model = self.MLP(2, [16, 16, 1])
        for layer, layer_weights in zip(model.layers, weights):
            for neuron, neuron_weights in zip(layer.neurons, layer_weights):
                for w, value in zip(neuron.w, neuron_weights[:-1]):
                    w.data = float(value)
                neuron.b.data = float(neuron_weights[-1])
        return model

    def demo_loss(self, model, points, labels):
        """micrograd's loss, written with microgradx's one-node sums."""
        Value = self.Value
        inputs = [[Value(x1), Value(x2)] for x1, x2 in points]
        scores = [model(x) for x in inputs]
        losses = [(1 + -label * score).relu() for label, score in zip(labels, scores)]
        data_loss = self.sum_values(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * self.sum_values([p * p for p in model.parameters()])
        return data_loss + reg_loss


class MicrogradXPlainSum(MicrogradX):
    """microgradx running micrograd's demo code unchanged: plain sum() of binary +."""

    name = "microgradx, plain sum()"
    demo_loss = Engine.demo_loss


class MicrogradXTape(MicrogradX):
    """microgradx with the demo step's graph recorded once on a Tape and replayed."""

    name = "microgradx, tape"

    def __init__(self) -> None:
        super().__init__()
        from microgradx.tape import Tape

        self.Tape = Tape
        self.recording_seconds = 0.0

    def build_demo(self, weights):
        model = super().build_demo(weights)
        points, labels = make_moons()
        start = time.perf_counter()
        model.tape = self.Tape(self.demo_loss(model, points, labels))  # the full batch, fixed
        self.recording_seconds = time.perf_counter() - start
        return model

    def demo_step(self, model, points, labels, step: int) -> float:
        parameters = model.parameters()
        for p in parameters:
            p.grad = 0.0
        loss = model.tape.replay()
        learning_rate = 1.0 - 0.9 * step / 100
        for p in parameters:
            p.data -= learning_rate * p.grad
        return loss

    def compare_with_eager(self, weights, steps: int = 10) -> dict[str, float]:
        """The largest gaps between eager mode and the tape, losses and grads, over ``steps``."""
        eager, taped = MicrogradX(), self
        points, labels = make_moons()
        eager_model, taped_model = eager.build_demo(weights), taped.build_demo(weights)
        loss_gap = grad_gap = 0.0
        for step in range(steps):
            loss = eager.demo_step(eager_model, points, labels, step)
            # demo_step has applied the nudge: compare the grads it used
            eager_grads = [p.grad for p in eager_model.parameters()]
            taped_loss = taped.demo_step(taped_model, points, labels, step)
            taped_grads = [p.grad for p in taped_model.parameters()]
            loss_gap = max(loss_gap, abs(loss - taped_loss))
            grad_gap = max(grad_gap, *(abs(a - b) for a, b in zip(eager_grads, taped_grads)))
        return {"loss_gap": loss_gap, "grad_gap": grad_gap, "steps": steps}


class Micrograd(Engine):
    name = "micrograd"
    slow = True

    def __init__(self) -> None:
        from importlib.metadata import version

        from micrograd import engine, nn

        self.version = version("micrograd")
        self.Value = engine.Value
        self.MLP = nn.MLP
        # micrograd's backward() sorts the graph recursively, one call per level of
        # depth. Python >= 3.11 runs Python-to-Python calls without the C stack, so
        # a high limit lets it finish deep graphs; older Pythons would crash instead.
        self.deep_graphs_ok = sys.version_info >= (3, 11)
        if self.deep_graphs_ok:
            sys.setrecursionlimit(max(sys.getrecursionlimit(), 10**7))

    def leaf(self, x: float):
        return self.Value(x)

    def tanh(self, v):
        raise NotImplementedError("micrograd 0.1.0 has no tanh")

    def count_nodes(self, root) -> int:
        seen = {root}
        stack = [root]
        while stack:
            for child in stack.pop()._prev:
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return len(seen)

    def build_demo(self, weights):
        random.seed(MICROGRAD_SEED)
        return self.MLP(2, [16, 16, 1])

    def demo_weights(self, model) -> list[list[list[float]]]:
        return [
            [[float(w.data) for w in neuron.w] + [float(neuron.b.data)] for neuron in layer.neurons]
            for layer in model.layers
        ]


class Torch(Engine):
    """PyTorch with one 0-d float64 tensor per scalar, like a Value."""

    name = "torch (scalars)"
    slow = True

    def __init__(self) -> None:
        import torch

        torch.set_num_threads(1)
        self.torch = torch
        self.version = torch.__version__

    def leaf(self, x: float):
        return self.torch.tensor(x, dtype=self.torch.float64, requires_grad=True)

    def tanh(self, v):
        return self.torch.tanh(v)

    def relu(self, v):
        return self.torch.relu(v)

    def build_demo(self, weights):
        return [
            [[self.leaf(float(value)) for value in neuron] for neuron in layer] for layer in weights
        ]

    def demo_step(self, model, points, labels, step):
        torch = self.torch
        inputs = [[torch.tensor(x, dtype=torch.float64) for x in row] for row in points]
        scores = []
        for x in inputs:
            for i, layer in enumerate(model):
                outputs = []
                for *w, b in layer:
                    act = sum((wi * xi for wi, xi in zip(w, x)), b)
                    outputs.append(act if i == len(model) - 1 else torch.relu(act))
                x = outputs
            scores.append(x[0])
        parameters = [p for layer in model for neuron in layer for p in neuron]
        losses = [torch.relu(1 + -label * score) for label, score in zip(labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in parameters)
        loss = data_loss + reg_loss
        for p in parameters:
            p.grad = None
        loss.backward()
        learning_rate = 1.0 - 0.9 * step / 100
        with torch.no_grad():
            for p in parameters:
                p -= learning_rate * p.grad
        return loss.item()


def load_engines(names: Sequence[str]) -> tuple[list[Engine], list[str]]:
    """The engines that are installed, and a note for each one that is not."""
    factories: dict[str, tuple[Callable[[], Engine], str]] = {
        "microgradx": (MicrogradX, "pip install -e .  (from the repository root)"),
        "micrograd": (Micrograd, "pip install micrograd==0.1.0"),
        "torch": (Torch, "pip install torch  (the CPU build is enough)"),
        "microgradx-plain-sum": (MicrogradXPlainSum, "pip install -e ."),
        "microgradx-tape": (MicrogradXTape, "pip install -e ."),
    }
    engines, missing = [], []
    for name in names:
        factory, install = factories[name]
        try:
            engines.append(factory())
        except ImportError as error:
            missing.append(f"{name} is not installed ({error}); to add it: {install}")
    return engines, missing


# ----------------------------------------------------------------------
# Measuring
# ----------------------------------------------------------------------


def timed(function: Callable[[], Any], collect: bool = True) -> tuple[float, Any]:
    """Seconds taken by ``function()``, after an untimed collection of old garbage."""
    gc.collect()
    if not collect:
        gc.disable()
    try:
        start = time.perf_counter()
        result = function()
        return time.perf_counter() - start, result
    finally:
        gc.enable()


def chain(engine: Engine, links: int, activation: str):
    """y = act(y * 1.0001 + 0.1), ``links`` times; returns (x, y)."""
    act = engine.tanh if activation == "tanh" else engine.relu
    x = engine.leaf(0.5)
    y = x
    for _ in range(links):
        y = act(y * 1.0001 + 0.1)
    return x, y


def sum_of_products(engine: Engine, terms: int):
    """x1*w1 + x2*w2 + ... with plain + and *; returns (leaves, total)."""
    leaf = engine.leaf
    xs = [leaf(i / terms) for i in range(terms)]
    ws = [leaf(0.5) for _ in range(terms)]
    total = xs[0] * ws[0]
    for x, w in zip(xs[1:], ws[1:]):
        total = total + x * w
    return xs, total


def build_graph(engine: Engine, kind: str, size: int, activation: str):
    return chain(engine, size, activation) if kind == "chain" else sum_of_products(engine, size)


# ----------------------------------------------------------------------
# Each engine runs in its own worker process, so that no engine pays for
# another's objects (importing torch adds ~150,000 objects that every full
# garbage collection then walks). The parent interleaves the requests.
# ----------------------------------------------------------------------


def serve(engine_key: str) -> None:
    """The worker: answer one JSON request per line of standard input."""
    engines, missing = load_engines([engine_key])
    if not engines:
        print(json.dumps({"missing": missing[0]}), flush=True)
        return
    engine = engines[0]
    hello = {
        "name": engine.name,
        "version": engine.version,
        "slow": engine.slow,
        "has_tanh": not isinstance(engine, Micrograd),
        "deep_graphs_ok": getattr(engine, "deep_graphs_ok", True),
    }
    print(json.dumps(hello), flush=True)
    points, labels = make_moons()
    model = None
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "demo_build":
            model = engine.build_demo(request["weights"])
            weights = engine.demo_weights(model) if isinstance(engine, Micrograd) else None
            reply: dict[str, Any] = {"weights": weights}
        elif op == "demo_loop":
            reply = _demo_loop(engine, model, points, labels, request["first"], request["steps"])
        elif op == "demo_check":
            reply = engine.compare_with_eager(request["weights"])
            reply["recording_seconds"] = engine.recording_seconds
        elif op == "demo_nodes":
            reply = {"nodes": _demo_nodes(engine, model, points, labels)}
        else:  # op == "graph"
            reply = {"seconds": _time_graph(engine, request)}
        print(json.dumps(reply), flush=True)


def _demo_loop(engine: Engine, model, points, labels, first: int, steps: int) -> dict[str, Any]:
    """``steps`` consecutive demo steps as a training loop runs them: each one timed, the
    collector on, nothing untimed in between. Returns each step's seconds and loss."""
    seconds, losses = [], []
    clock = time.perf_counter
    for step in range(first, first + steps):
        start = clock()
        loss = engine.demo_step(model, points, labels, step)
        seconds.append(clock() - start)
        losses.append(loss)
    return {"seconds": seconds, "losses": losses}


def _time_graph(engine: Engine, request: dict[str, Any]) -> float:
    kind, size, activation = request["kind"], request["size"], request["activation"]
    measure = request["measure"]
    if measure == "replay":  # recorded once, untimed; then one replay timed
        from microgradx.tape import Tape

        tape = Tape(build_graph(engine, kind, size, activation)[1])
        seconds, _ = timed(tape.replay)
        return seconds
    if measure == "forward + backward":
        seconds, graph = timed(
            lambda: engine.backward(build_graph(engine, kind, size, activation)[1]),
            collect=request["gc"],
        )
        return seconds
    graph = build_graph(engine, kind, size, activation)
    if measure == "backward":
        seconds, _ = timed(lambda: engine.backward(graph[1]))
    else:  # measure == "topological_order"
        seconds, _ = timed(lambda: engine.topological_order(graph[1]))
    return seconds


def _demo_nodes(engine: Engine, model, points, labels) -> int | None:
    if isinstance(engine, Torch):
        return None
    return engine.count_nodes(engine.demo_loss(model, points, labels))


class Worker:
    """The parent's handle on one engine's worker process."""

    def __init__(self, engine_key: str) -> None:
        self.key = engine_key
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--worker", engine_key],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        hello = self._read()
        self.missing = hello.get("missing")
        self.name = hello.get("name", engine_key)
        self.version = hello.get("version", "")
        self.slow = hello.get("slow", False)
        self.has_tanh = hello.get("has_tanh", True)
        self.deep_graphs_ok = hello.get("deep_graphs_ok", True)

    def ask(self, **request: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.key} worker stopped (see its error above)")
        return json.loads(line)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait()

    def can_run(self, kind: str, activation: str, size: int, quick: bool) -> bool:
        if kind == "chain" and activation == "tanh" and not self.has_tanh:
            return False
        if self.slow and size > (25 * 10**3 if quick else 10**5):
            return False
        return self.deep_graphs_ok or size <= 100


class Results:
    """Timings per (workload, engine), kept in the order they were first seen."""

    def __init__(self) -> None:
        self.times: dict[str, dict[str, list[float]]] = {}
        self.notes: dict[str, str] = {}

    def add(self, workload: str, engine: str, value: float) -> None:
        self.times.setdefault(workload, {}).setdefault(engine, []).append(value)

    def median(self, workload: str, engine: str) -> float | None:
        values = self.times.get(workload, {}).get(engine)
        return statistics.median(values) if values else None

    def paired_ratio(self, workload: str, engine: str, reference: str) -> float | None:
        """The median over the repeats of reference's time / engine's time in the same repeat."""
        theirs = self.times.get(workload, {}).get(reference)
        ours = self.times.get(workload, {}).get(engine)
        if not theirs or not ours or len(theirs) != len(ours):
            return None
        return statistics.median(t / o for t, o in zip(theirs, ours))


LOOP_STEPS = 5
"""Consecutive demo steps per repeat: a repeat's figure is the median step of its loop."""


def run_demo(workers: Sequence[Worker], repeats: int, results: Results) -> None:
    """micrograd's demo step on every engine, from the same initial weights, timed as a loop."""
    micrograd = next((w for w in workers if w.key == "micrograd"), None)
    if micrograd is not None:
        weights = micrograd.ask(op="demo_build", weights=[])["weights"]
    else:
        weights = micrograd_style_weights()
    for worker in workers:
        if worker is not micrograd:
            worker.ask(op="demo_build", weights=weights)
    losses: dict[str, list[float]] = {}
    step = 0
    for repeat in range(repeats + 1):  # loop 0 is a one-step untimed warm-up
        steps = 1 if repeat == 0 else LOOP_STEPS
        for worker in workers:
            reply = worker.ask(op="demo_loop", first=step, steps=steps)
            losses.setdefault(worker.name, []).extend(reply["losses"])
            if repeat:
                results.add("demo step", worker.name, statistics.median(reply["seconds"]))
        step += steps
        _progress(f"demo step loop {repeat}/{repeats}")
    reference = losses.get("micrograd")
    for worker in workers:
        if worker is micrograd or reference is None:
            continue
        gap = max(abs(a - b) for a, b in zip(losses[worker.name], reference))
        verdict = "same loss to 1e-9" if gap <= 1e-9 else "LOSSES DIFFER"
        results.notes[f"demo loss, {worker.name}"] = (
            f"{verdict}: largest gap to micrograd over {len(reference)} steps {gap:.1e}"
        )
    first = next(iter(losses.values()))
    results.notes["demo losses"] = (
        f"step 0: {first[0]:.6f}, step {len(first) - 1}: {first[-1]:.6f} "
        f"({repeats} loops of {LOOP_STEPS} steps after one warm-up step)"
    )
    for worker in workers:
        nodes = worker.ask(op="demo_nodes")["nodes"]
        if nodes:
            results.notes[f"demo graph, {worker.name}"] = f"{nodes:,} nodes per step"
    tape = next((w for w in workers if w.key == "microgradx-tape"), None)
    if tape is not None:
        check = tape.ask(op="demo_check", weights=weights)
        verdict = (
            "equal to 1e-12"
            if max(check["loss_gap"], check["grad_gap"]) <= 1e-12
            else ("DIFFERENT")
        )
        results.notes["demo, tape against eager mode"] = (
            f"{verdict}: over {check['steps']} steps the largest loss gap is "
            f"{check['loss_gap']:.1e} and the largest gap in any knob's grad "
            f"{check['grad_gap']:.1e}; recording the tape took "
            f"{check['recording_seconds'] * 1e3:,.0f} ms (once, untimed)"
        )


def run_graphs(workers: Sequence[Worker], repeats: int, quick: bool, results: Results) -> None:
    """Chains and sums of products: forward + backward, then backward alone."""
    # 2e4 links and 2.5e4 terms make graphs of 1e5 nodes, the size the targets name.
    chain_sizes = [10**3, 2 * 10**4] if quick else [10**3, 10**4, 2 * 10**4, 10**5, 10**6]
    sum_sizes = [25 * 10**2, 25 * 10**3] if quick else [25 * 10**2, 25 * 10**3, 10**5, 25 * 10**4]
    graphs = [
        ("chain", links, activation) for links in chain_sizes for activation in ("tanh", "relu")
    ]
    graphs += [("sum", terms, "") for terms in sum_sizes]
    for kind, size, activation in graphs:
        title = f"{_graph_name(kind, size, activation)}: forward + backward"
        for _ in range(repeats if size <= 10**5 else max(3, repeats // 2)):
            for worker in workers:
                if worker.can_run(kind, activation, size, quick):
                    graph = (kind, size, activation)
                    measure_graph(worker, graph, "forward + backward", True, title, results)
        _progress(title)

    microgradx = next((w for w in workers if w.key == "microgradx"), None)
    replay_links = 2 * 10**4 if quick else 10**5
    if microgradx is not None:  # the tanh chain recorded on a tape once, then replayed
        title = f"{_graph_name('chain', replay_links, 'tanh')}: replay from a tape"
        for _ in range(repeats):
            graph = ("chain", replay_links, "tanh")
            measure_graph(microgradx, graph, "replay", True, title, results)
        _progress(title)
    hundred_thousand_nodes = [("chain", 2 * 10**4, "tanh"), ("sum", 25 * 10**3, "")]
    if microgradx is not None:  # how much of it is the garbage collector's
        for kind, size, activation in hundred_thousand_nodes:
            title = f"{_graph_name(kind, size, activation)}: forward + backward, gc off"
            for _ in range(repeats):
                graph = (kind, size, activation)
                measure_graph(microgradx, graph, "forward + backward", False, title, results)

    backward_graphs = [("chain", 2 * 10**4, "tanh"), ("chain", 2 * 10**4, "relu")]
    backward_graphs.append(("sum", 25 * 10**3, ""))
    for kind, size, activation in backward_graphs:
        for measure in ("backward", "topological_order"):
            title = f"{_graph_name(kind, size, activation)}: {measure} alone"
            for _ in range(repeats):
                for worker in workers:
                    if measure == "topological_order" and worker.key != "microgradx":
                        continue
                    if worker.can_run(kind, activation, size, quick):
                        graph = (kind, size, activation)
                        measure_graph(worker, graph, measure, True, title, results)
            _progress(title)


def measure_graph(
    worker: Worker,
    graph: tuple[str, int, str],
    measure: str,
    collect: bool,
    title: str,
    results: Results,
) -> None:
    """One timing of ``measure`` on ``graph`` (kind, size, activation), per node, in results."""
    kind, size, activation = graph
    reply = worker.ask(
        op="graph", kind=kind, size=size, activation=activation, measure=measure, gc=collect
    )
    results.add(title, worker.name, reply["seconds"] / graph_nodes(kind, size))


def graph_nodes(kind: str, size: int) -> int:
    """How many nodes a chain of ``size`` links or a sum of ``size`` products has."""
    return LINK_NODES * size + 1 if kind == "chain" else TERM_NODES * size - 1


def _graph_name(kind: str, size: int, activation: str) -> str:
    """'chain tanh, 2e+04 links (1e+05 nodes)': a graph, in its own units and in nodes."""
    if kind == "chain":
        return f"chain {activation}, {size:.2g} links ({graph_nodes(kind, size):.2g} nodes)"
    return f"sum of products, {size:.2g} terms ({graph_nodes(kind, size):.2g} nodes)"


def _progress(message: str) -> None:
    print(f"  ... {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------
# Memory, each engine in a fresh process
# ----------------------------------------------------------------------


def measure_memory(engine_name: str, terms: int) -> dict[str, Any]:
    """Bytes per node of the sum-of-products graph, in this (fresh) process."""
    engine = load_engines([engine_name])[0][0]
    nodes = TERM_NODES * terms - 1
    gc.collect()
    rss_before = _rss_bytes()
    tracemalloc.start()
    graph = sum_of_products(engine, terms)
    graph_bytes, _ = tracemalloc.get_traced_memory()
    engine.backward(graph[1])
    _, peak_bytes = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = _rss_bytes()
    return {
        "name": engine.name,
        "bytes_per_node": graph_bytes / nodes,
        "peak_bytes_per_node": peak_bytes / nodes,
        "peak_mb": peak_bytes / 1e6,
        "rss_growth_mb": (rss_after - rss_before) / 1e6,
    }


def _rss_bytes() -> int:
    """Resident memory of this process (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return 0


def run_memory(engine_keys: Sequence[str], terms: int) -> dict[str, dict[str, float]]:
    memory = {}
    for key in engine_keys:
        command = [sys.executable, __file__, "--memory-probe", key, str(terms)]
        output = subprocess.run(command, capture_output=True, text=True, check=False)
        if output.returncode == 0:
            figures = json.loads(output.stdout)
            memory[figures.pop("name")] = figures
        else:
            _progress(f"memory probe for {key} failed: {output.stderr.strip()[-300:]}")
    return memory


# ----------------------------------------------------------------------
# Import time
# ----------------------------------------------------------------------


def import_time_ms(repeats: int) -> tuple[float, float]:
    """(``-X importtime`` cumulative ms, wall-clock ms added) for ``import microgradx``.

    The wall-clock figure is the median start-up time of ``python -c "import
    microgradx"`` minus that of ``python -c "pass"``, runs interleaved. Bytecode
    caching is allowed (a warm-up run writes the .pyc files), as on a user's machine:
    with PYTHONDONTWRITEBYTECODE set, every import would also compile the source.
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", "import microgradx"], check=True, env=env)
    cumulative, with_import, without = [], [], []
    for _ in range(repeats):
        output = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import microgradx"],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        for line in output.stderr.splitlines():
            parts = [part.strip() for part in line.split("|")]
            if len(parts) == 3 and parts[2] == "microgradx":
                cumulative.append(int(parts[1]) / 1000)
        for code, bucket in (("import microgradx", with_import), ("pass", without)):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
            bucket.append((time.perf_counter() - start) * 1000)
    added = statistics.median(with_import) - statistics.median(without)
    return statistics.median(cumulative), added


# ----------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------


def format_seconds(seconds: float, per_node: bool) -> str:
    if per_node:
        return f"{seconds * 1e9:,.0f} ns"
    return f"{seconds * 1e3:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def print_report(
    names: Sequence[str],
    results: Results,
    memory: dict[str, dict[str, float]],
    import_ms: tuple[float, float] | None,
) -> None:
    demo_names = list(results.times.get("demo step", {}))
    print(
        "\n| workload | engine | median | min - max | x faster than micrograd "
        "(paired, median of repeats) |"
    )
    print("| --- | --- | ---: | ---: | ---: |")
    for workload, by_engine in results.times.items():
        per_node = workload != "demo step"
        unit = " (per node)" if per_node else " (per step, timed as a loop)"
        for name in demo_names if workload == "demo step" else names:
            values = by_engine.get(name)
            if not values:
                continue
            median = statistics.median(values)
            spread = (
                f"{format_seconds(min(values), per_node)} - {format_seconds(max(values), per_node)}"
            )
            paired = results.paired_ratio(workload, name, "micrograd")
            ratio = f"{paired:,.1f}x" if paired and name != "micrograd" else ""
            print(
                f"| {workload}{unit} | {name} | {format_seconds(median, per_node)} | "
                f"{spread} | {ratio} |"
            )
    if memory:
        print(
            f"\n| memory, {_graph_name('sum', MEMORY_TERMS, '')}"
            " | engine | bytes per node | peak bytes per node "
            "(forward + backward) | peak (tracemalloc) | resident memory growth |"
        )
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        for name, figures in memory.items():
            print(
                f"| sum of products | {name} | {figures['bytes_per_node']:,.0f} | "
                f"{figures['peak_bytes_per_node']:,.0f} | {figures['peak_mb']:,.1f} MB | "
                f"{figures['rss_growth_mb']:,.1f} MB |"
            )
        print(
            "\ntracemalloc sees Python's allocations only: torch keeps its tensors in C++ "
            "memory, so for torch compare the resident memory growth."
        )
    if import_ms is not None:
        cumulative, added = import_ms
        wall_clock = (
            f"{added:.1f} ms added to interpreter start-up (median wall clock)"
            if added > 0
            else "too little to tell apart from the noise in the start-up time (wall clock)"
        )
        importtime = f"{cumulative:.1f} ms by -X importtime (cumulative)"
        print(f"\nimport microgradx: {importtime}, {wall_clock}")
    if results.notes:
        print()
        for key, note in results.notes.items():
            print(f"- {key}: {note}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, 3 repeats")
    parser.add_argument("--repeats", type=int, default=None, help="repeats (default 7, quick 3)")
    parser.add_argument(
        "--engines",
        default="microgradx,micrograd,torch",
        help="comma-separated, from: microgradx, micrograd, torch",
    )
    parser.add_argument(
        "--memory-probe", nargs=2, metavar=("ENGINE", "TERMS"), help=argparse.SUPPRESS
    )
    parser.add_argument("--worker", metavar="ENGINE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        serve(args.worker)
        return
    if args.memory_probe:
        engine_name, terms = args.memory_probe
        print(json.dumps(measure_memory(engine_name, int(terms))))
        return
    if args.repeats is None:
        args.repeats = 3 if args.quick else 7

    keys = [name.strip() for name in args.engines.split(",")]
    if "microgradx" in keys:
        at = keys.index("microgradx") + 1
        keys[at:at] = ["microgradx-plain-sum", "microgradx-tape"]
    workers, missing = [], []
    for key in keys:
        worker = Worker(key)
        if worker.missing:
            missing.append(worker.missing)
            worker.close()
        else:
            workers.append(worker)
    demo_only = ("microgradx-plain-sum", "microgradx-tape")
    print(describe_machine([w for w in workers if w.key not in demo_only]))
    for note in missing:
        print(f"note: {note}")
    if not any(worker.key == "micrograd" for worker in workers):
        print("note: without micrograd there is no ratio column and no loss check.")
    results = Results()
    try:
        run_demo(workers, args.repeats, results)
        graph_workers = [w for w in workers if w.key not in demo_only]
        run_graphs(graph_workers, args.repeats, args.quick, results)
    finally:
        for worker in workers:
            worker.close()
    memory = run_memory([w.key for w in graph_workers], MEMORY_TERMS)
    import_ms = import_time_ms(5 if args.quick else 11)
    print_report([w.name for w in graph_workers], results, memory, import_ms)


if __name__ == "__main__":
    main()
