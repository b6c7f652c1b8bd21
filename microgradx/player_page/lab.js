// microgradx live lab: change any leaf (an input, a knob, a constant you named) and
// the whole recorded graph is computed again in the page, forward and backward;
// every number and every blame in the drawing moves at once. "Nudge" takes one step
// of gradient descent on the knobs and compares what the output did with what the
// blame predicted.
//
// The arithmetic is the engine's, op by op. makeRules(compensatedSum), written just
// above this script by microgradx/lab.py, holds every op's rule on numbers: the `js`
// of each primitive in microgradx/ops.py, with ops.JS_HELPERS. Nothing here knows
// any op's formula. The backward pass adds blame exactly as backward() does:
// the output's blame is 1, then every node, in backward()'s order, hands each input
// (in order) local derivative x its own blame.
//
// The data is the JSON block .mgx-lab-data (its format: microgradx.lab.lab_data). The
// drawing is painted by the player (player.js): this script hands it the numbers.

// A number the lab cannot compute: which node, why, and the numbers it was given.
class LabProblem extends Error {
  constructor(node, reason, inputs) {
    super(reason);
    this.node = node;
    this.reason = reason;
    this.inputs = inputs || [];
  }
}

function startLab(player) {
  const hook = player.microgradx; // the player's painter and data (player.js)
  if (!hook) return;
  player.setAttribute("data-mgx-lab-started", "");
  const lab = JSON.parse(player.querySelector(".mgx-lab-data").textContent);
  const { rules, sumOf } = makeRules(lab.compensatedSum);
  const { formatNumber, pythonRepr } = window.microgradxPlayer;
  const nodes = lab.nodes;
  const root = nodes.length - 1;
  const recordedLeaves = nodes.map((node) => (node.children.length === 0 ? node.data : null));
  const find = (selector) => player.querySelector(selector);

  // ------------------------------------------------------------------
  // The computation: forward, then backward, for given leaf numbers
  // ------------------------------------------------------------------

  // Every node's number and local derivatives, from the leaves up (index order is
  // topological order: a node comes after its inputs).
  function forward(leaves) {
    const data = new Array(nodes.length);
    const local = new Array(nodes.length);
    nodes.forEach((node, i) => {
      if (node.children.length === 0) {
        data[i] = leaves[i];
        local[i] = [];
        return;
      }
      if (node.rule === null) {
        data[i] = node.data; // a hand-made op: kept as recorded
        local[i] = node.local;
        return;
      }
      const inputs = node.children.map((j) => data[j]);
      const { list, rule } = rules[node.rule];
      let result;
      try {
        result = list ? rule(inputs) : rule(...inputs, ...node.parameters);
      } catch (error) {
        if (error instanceof RangeError) throw new LabProblem(i, error.message, inputs);
        throw error;
      }
      if (!Number.isFinite(result[0])) {
        throw new LabProblem(i, "the result is too large for a float", inputs);
      }
      data[i] = result[0];
      local[i] = result[1];
    });
    return { data: data, local: local };
  }

  // Every node's blame, d output / d node, as backward() computes it.
  function backward(local) {
    const blame = new Array(nodes.length).fill(0);
    blame[root] = 1;
    for (const i of lab.backwardOrder) {
      const children = nodes[i].children;
      for (let k = 0; k < children.length; k++) {
        blame[children[k]] += local[i][k] * blame[i];
      }
    }
    blame.forEach((b, i) => {
      if (!Number.isFinite(b)) throw new LabProblem(i, "its blame grew too large for a float");
    });
    return blame;
  }

  function compute(leaves) {
    const { data, local } = forward(leaves);
    const blame = backward(local);
    const largest = blame.reduce((most, b) => Math.max(most, Math.abs(b)), 0);
    return { data: data, local: local, blame: blame, largest: largest };
  }

  // ------------------------------------------------------------------
  // State: the leaves' numbers now, what they give, and the way back
  // ------------------------------------------------------------------

  let leaves = recordedLeaves.slice();
  let numbers = null; // what the leaves give (below: computed once the panel is found)
  const history = []; // earlier leaf numbers, for Undo
  let gesture = null; // the slider being dragged, if any
  const timing = { compute: 0, paint: 0, count: 0 };

  // Try new leaf numbers: on success they become the state and the drawing shows
  // them; on a problem nothing changes and the page says what went wrong.
  function tryLeaves(candidate, { remember = true } = {}) {
    const started = performance.now();
    let result;
    try {
      result = compute(candidate);
    } catch (error) {
      if (!(error instanceof LabProblem)) throw error;
      showProblem(error);
      return false;
    }
    const computed = performance.now();
    if (remember) history.push(leaves);
    leaves = candidate;
    numbers = result;
    clearProblem();
    paint();
    timing.compute = computed - started;
    timing.paint = performance.now() - computed;
    timing.count += 1;
    return true;
  }

  // ------------------------------------------------------------------
  // Showing it: the drawing, the output, the controls
  // ------------------------------------------------------------------

  const panel = {
    box: find(".mgx-lab"),
    output: find(".mgx-lab-output"),
    report: find(".mgx-lab-report"),
    problem: find(".mgx-lab-problem"),
    notice: find(".mgx-lab-notice"),
    nudge: find(".mgx-nudge"),
    rate: find(".mgx-rate"),
    undo: find(".mgx-undo"),
    reset: find(".mgx-reset"),
    showLab: find(".mgx-show-lab"),
    showSteps: find(".mgx-show-steps"),
  };
  const controls = Array.from(player.querySelectorAll(".mgx-leaf"), (row) => ({
    node: Number(row.getAttribute("data-mgx-leaf")),
    name: row.querySelector(".mgx-leaf-name").textContent,
    slider: row.querySelector(".mgx-leaf-slider"),
    box: row.querySelector(".mgx-leaf-number"),
  }));

  function paint() {
    if (player.dataset.showing !== "lab") return;
    const states = nodes.map((node, i) => ({
      valueKnown: true,
      handed: true,
      blame: numbers.blame[i],
      path: hook.data.nodes[i].paths,
      complete: true,
    }));
    hook.paint(states, numbers);
    showOutput();
    syncControls();
  }

  function showOutput() {
    const now = numbers.data[root];
    const was = nodes[root].data;
    let text = lab.outputName + " = " + formatNumber(now);
    if (now !== was) text += "   (as recorded: " + formatNumber(was) + ")";
    panel.output.textContent = text;
    panel.output.setAttribute("data-value", pythonRepr(now));
  }

  // Every slider and number box shows the state's number (except the one in use).
  function syncControls(except) {
    for (const control of controls) {
      const value = leaves[control.node];
      if (control.slider !== except) control.slider.value = String(value);
      if (control.box !== except) control.box.value = pythonRepr(value);
      control.box.removeAttribute("aria-invalid");
      control.slider.setAttribute(
        "aria-valuetext",
        pythonRepr(value) + "; " + lab.outputName + " = " + formatNumber(numbers.data[root])
      );
    }
    panel.undo.disabled = history.length === 0;
    panel.reset.disabled = leaves.every((x, i) => Object.is(x, recordedLeaves[i]));
    panel.nudge.disabled = lab.knobs.length === 0;
  }

  // "Cannot compute log(t2), with t2 = -0.5: log(x) needs a positive number. ..."
  function showProblem(problem) {
    const node = nodes[problem.node];
    let where = node.name;
    if (node.formula && node.formula !== node.name) where += " = " + node.formula;
    const inputs = problem.inputs.map((x, k) => nodes[node.children[k]].name + " = " + formatNumber(x));
    const given = Array.from(new Set(inputs));
    if (given.length > 0) where += ", with " + given.join(", ");
    panel.problem.textContent =
      "Cannot compute " + where + ": " + problem.reason + ". The drawing keeps the last " +
      "numbers that worked; change it back, or press Undo.";
    panel.problem.hidden = false;
  }

  function clearProblem() {
    panel.problem.hidden = true;
    panel.problem.textContent = "";
  }

  // ------------------------------------------------------------------
  // The nudge: one step of gradient descent, and what the blame predicted
  // ------------------------------------------------------------------

  function readRate() {
    const text = panel.rate.value.trim();
    const rate = Number(text);
    if (text === "" || !Number.isFinite(rate) || rate <= 0) {
      panel.rate.setAttribute("aria-invalid", "true");
      panel.problem.textContent =
        "The learning rate must be a positive number, like 0.1; the box holds " +
        JSON.stringify(panel.rate.value.slice(0, 40)) + ".";
      panel.problem.hidden = false;
      return null;
    }
    panel.rate.removeAttribute("aria-invalid");
    return rate;
  }

  function nudge() {
    const rate = readRate();
    if (rate === null || lab.knobs.length === 0) return;
    const before = numbers.data[root];
    const blame = numbers.blame;
    // First order: the output changes by the sum of blame x change over the knobs,
    // and each knob changes by -rate x its blame.
    const predicted = -rate * sumOf(lab.knobs.map((k) => blame[k] * blame[k]));
    const candidate = leaves.slice();
    for (const k of lab.knobs) candidate[k] = leaves[k] - rate * blame[k];
    if (!tryLeaves(candidate)) return;
    report(before, numbers.data[root], predicted, rate);
  }

  function report(before, after, predicted, rate) {
    const change = after - before;
    const name = lab.outputName;
    let verdict;
    if (predicted === 0) {
      verdict = "Every knob's blame is 0, so the nudge moves nothing.";
    } else if (change > 0) {
      verdict =
        "Instead of falling, " + name + " rose: the learning rate is too big for this " +
        "step (it jumped past the low point). Undo and try a smaller one.";
    } else {
      const ratio = change / predicted;
      const share = Math.round(ratio * 100) + "% of the prediction";
      if (ratio > 0.8 && ratio < 1.25) verdict = "The prediction held: the change is " + share + ".";
      else if (ratio <= 0.8) {
        verdict = "It fell by less than predicted (" + share + "): the slope changes " +
          "over a step this long. A smaller learning rate follows the blame more closely.";
      } else verdict = "It fell by more than predicted (" + share + ").";
    }
    panel.report.textContent =
      "Nudge with learning rate " + pythonRepr(rate) + ": " + name + " went from " +
      formatNumber(before) + " to " + formatNumber(after) + ", a change of " +
      formatNumber(change) + ". The blame predicted " + formatNumber(predicted) +
      " (to first order: minus the learning rate times the sum of blame² over the " +
      lab.knobs.length + " knobs). " + verdict;
    panel.report.setAttribute("data-before", pythonRepr(before));
    panel.report.setAttribute("data-after", pythonRepr(after));
    panel.report.setAttribute("data-predicted", pythonRepr(predicted));
  }

  function clearReport() {
    panel.report.textContent = "";
    ["data-before", "data-after", "data-predicted"].forEach((a) => panel.report.removeAttribute(a));
  }

  // ------------------------------------------------------------------
  // The controls
  // ------------------------------------------------------------------

  function setLeaf(control, value, remember) {
    const candidate = leaves.slice();
    candidate[control.node] = value;
    if (tryLeaves(candidate, { remember: remember })) clearReport();
  }

  for (const control of controls) {
    // Dragging the slider (or pressing its arrow keys) recomputes at every move; the
    // whole drag is one step for Undo.
    control.slider.addEventListener("input", () => {
      const candidate = leaves.slice();
      candidate[control.node] = Number(control.slider.value);
      if (tryLeaves(candidate, { remember: gesture !== control })) {
        gesture = control;
        clearReport();
      }
    });
    control.slider.addEventListener("change", () => {
      gesture = null;
      syncControls(); // a drag that ended where the numbers fail goes back to the last good ones
    });
    // The number box takes any number: Enter, leaving the box, or its arrows.
    const commit = () => {
      gesture = null;
      const text = control.box.value.trim();
      const value = Number(text);
      if (text === "" || !Number.isFinite(value)) {
        control.box.setAttribute("aria-invalid", "true");
        panel.problem.textContent =
          control.name + " needs a number, like 0.5 or -2e-3. It stays " +
          pythonRepr(leaves[control.node]) + ".";
        panel.problem.hidden = false;
        return;
      }
      if (Object.is(value, leaves[control.node])) return;
      setLeaf(control, value, true);
      if (!Object.is(leaves[control.node], value)) control.box.setAttribute("aria-invalid", "true");
    };
    control.box.addEventListener("change", commit);
    control.box.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        commit();
      }
    });
  }

  panel.nudge.addEventListener("click", nudge);
  panel.rate.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      nudge();
    }
  });
  panel.undo.addEventListener("click", () => {
    if (history.length === 0) return;
    const earlier = history.pop();
    if (!tryLeaves(earlier, { remember: false })) history.push(earlier);
    clearReport();
  });
  panel.reset.addEventListener("click", () => {
    if (tryLeaves(recordedLeaves.slice())) clearReport();
  });

  // ------------------------------------------------------------------
  // Lab or steps: which the page shows
  // ------------------------------------------------------------------

  function showing(what) {
    player.dataset.showing = what;
    if (panel.showLab) {
      panel.showLab.setAttribute("aria-pressed", String(what === "lab"));
      panel.showSteps.setAttribute("aria-pressed", String(what === "steps"));
    }
    if (what === "lab") {
      hook.pause();
      hook.clearLights();
      paint();
    } else {
      hook.showStep(); // the recording's numbers again
    }
    hook.sizeDrawing();
  }

  if (panel.showLab) {
    panel.showLab.addEventListener("click", () => showing("lab"));
    panel.showSteps.addEventListener("click", () => showing("steps"));
    panel.showLab.parentElement.hidden = false;
  }

  // A hand-made op cannot be computed here: say so, and mark it in the drawing.
  if (lab.notices.length > 0) {
    panel.notice.textContent = lab.notices.join(" ");
    panel.notice.hidden = false;
  }
  for (const i of lab.handMade) {
    const shownIn = hook.data.nodes[i].shownIn;
    const group = shownIn && player.querySelector('[id="' + shownIn + '"]');
    if (group) group.classList.add("mgx-fixed");
  }

  // The recorded leaves, computed here: the recorded numbers, unless this browser
  // cannot compute them (then it says why, and shows the recording's).
  try {
    numbers = compute(leaves);
  } catch (error) {
    if (!(error instanceof LabProblem)) throw error;
    const recorded = hook.data.nodes;
    numbers = {
      data: nodes.map((node) => node.data),
      local: nodes.map((node) => node.local),
      blame: recorded.map((node) => Number(node.blame)),
      largest: Number(hook.data.largestBlame),
    };
    showProblem(error);
  }
  panel.box.hidden = false;
  showing(lab.startWith);

  // For tests and tools: the lab's numbers now, and how long the last change took.
  hook.lab = {
    leaves: () => leaves.slice(),
    numbers: () => numbers,
    timing: timing,
  };
}

// For tests and tools: the rules the lab computes with (makeRules(compensatedSum)).
window.microgradxLab = { makeRules: makeRules };

document.querySelectorAll(".mgx-player[data-lab]:not([data-mgx-lab-started])").forEach(startLab);
