// microgradx backprop player. Every text of a step and every number was computed
// in Python and sits in the JSON block next to this script. The script shows one
// step at a time: it repaints the drawing with exactly the numbers known at that
// step (a value from its forward step on, blame from the moment it arrives), lights
// up the step's part of the drawing, and runs the controls.
//
// The drawing is painted from numbers, not from text baked into the SVG: every
// marked element (data-mgx="data" | "blame" | "paths" | "local" | "passed" |
// "stroke" | "cell" | "name", data-mgx-node = the node's index) is rewritten by
// paint(). formatNumber and blameColour are microgradx.labels' format_number and
// blame_colour, digit for digit.
(function () {
  "use strict";

  const PLAY_INTERVAL_MS = 1500;
  const SMALLEST_TEXT_PX = 12; // the "readable" size never draws a text smaller
  const PHASE_NAMES = {
    start: "Start",
    forward: "Forward pass",
    seed: "Backward pass",
    backward: "Backward pass",
    done: "Done",
  };
  const POSITIVE = [0xef, 0x8a, 0x62];
  const NEGATIVE = [0x67, 0xa9, 0xcf];
  const NO_BLAME = "#ffffff";
  const NO_BLAME_STROKE = [0xb4, 0xb4, 0xb4];

  // ------------------------------------------------------------------
  // Numbers and colours, exactly as Python writes them
  // ------------------------------------------------------------------

  // The exact decimal digits of a positive finite double: [digits, exponent], so
  // that x = d.ddd... × 10^exponent (no trailing zeros in digits).
  function exactDigits(x) {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, x);
    const high = view.getUint32(0);
    const low = view.getUint32(4);
    const biased = (high >>> 20) & 0x7ff;
    let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
    let power;
    if (biased === 0) {
      power = -1074;
    } else {
      mantissa |= 1n << 52n;
      power = biased - 1075;
    }
    let digits;
    let exponent;
    if (power >= 0) {
      digits = (mantissa << BigInt(power)).toString();
      exponent = digits.length - 1;
    } else {
      digits = (mantissa * 5n ** BigInt(-power)).toString(); // x = digits × 10^power
      exponent = digits.length - 1 + power;
    }
    return [digits.replace(/0+$/, ""), exponent];
  }

  // Round to `precision` significant digits, ties to even (as Python's "%g").
  function roundDigits(digits, exponent, precision) {
    if (digits.length <= precision) return [digits, exponent];
    let head = digits.slice(0, precision);
    const next = digits[precision];
    const rest = digits.slice(precision + 1);
    const tie = next === "5" && !/[1-9]/.test(rest);
    const up = next > "5" || (next === "5" && !tie) || (tie && Number(head[precision - 1]) % 2 === 1);
    if (up) {
      head = (BigInt(head) + 1n).toString();
      if (head.length > precision) {
        exponent += 1;
        head = head.slice(0, precision);
      }
    }
    return [head.replace(/0+$/, "") || "0", exponent];
  }

  // microgradx.labels.format_number: 4 significant digits, always a point or exponent.
  function formatNumber(x) {
    if (Number.isNaN(x)) return "nan";
    if (x === Infinity) return "inf";
    if (x === -Infinity) return "-inf";
    if (x === 0) return "0.0";
    const sign = x < 0 ? "-" : "";
    const [exact, exactExponent] = exactDigits(Math.abs(x));
    const [digits, exponent] = roundDigits(exact, exactExponent, 4);
    let text;
    if (exponent < -4 || exponent >= 4) {
      const mantissa = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
      const shown = String(Math.abs(exponent)).padStart(2, "0");
      text = mantissa + "e" + (exponent < 0 ? "-" : "+") + shown;
    } else if (exponent >= 0) {
      const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
      const fraction = digits.slice(exponent + 1);
      text = fraction ? whole + "." + fraction : whole;
    } else {
      text = "0." + "0".repeat(-exponent - 1) + digits;
    }
    if (!text.includes(".") && !text.includes("e")) text += ".0";
    return sign + text;
  }

  // Python's repr() of a float: the shortest digits that read back as the same
  // number (JavaScript finds the same ones), written as Python writes them:
  // "2.0", "0.0001", "1e-05", "1.5e+16", "-0.0".
  function pythonRepr(x) {
    if (Number.isNaN(x)) return "nan";
    if (x === Infinity) return "inf";
    if (x === -Infinity) return "-inf";
    if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
    const sign = x < 0 ? "-" : "";
    const [mantissa, power] = Math.abs(x).toExponential().split("e");
    const digits = mantissa.replace(".", "");
    const exponent = Number(power);
    if (exponent < -4 || exponent >= 16) {
      const head = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
      const shown = String(Math.abs(exponent)).padStart(2, "0");
      return sign + head + "e" + (exponent < 0 ? "-" : "+") + shown;
    }
    if (exponent < 0) return sign + "0." + "0".repeat(-exponent - 1) + digits;
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
    return sign + whole + "." + (digits.slice(exponent + 1) || "0");
  }

  // Python's round(): halves go to the even neighbour.
  function roundHalfEven(value) {
    const floor = Math.floor(value);
    const rest = value - floor;
    if (rest > 0.5) return floor + 1;
    if (rest < 0.5) return floor;
    return floor % 2 === 0 ? floor : floor + 1;
  }

  function mix(from, to, strength) {
    return (
      "#" +
      from
        .map((base, k) => roundHalfEven(base + (to[k] - base) * strength))
        .map((channel) => channel.toString(16).padStart(2, "0"))
        .join("")
    );
  }

  function strengthOf(grad, largest) {
    const strength = Math.min(Math.abs(grad) / largest, 1);
    return Number.isNaN(strength) ? 1 : strength;
  }

  // microgradx.labels.blame_colour
  function blameColour(grad, largest) {
    if (grad === 0 || largest === 0 || Number.isNaN(grad)) return NO_BLAME;
    return mix([255, 255, 255], grad > 0 ? POSITIVE : NEGATIVE, strengthOf(grad, largest));
  }

  // microgradx.network_view.stroke_colour
  function strokeColour(grad, largest) {
    if (grad === null || grad === 0 || largest === 0 || Number.isNaN(grad)) {
      return mix(NO_BLAME_STROKE, NO_BLAME_STROKE, 0);
    }
    return mix(NO_BLAME_STROKE, grad > 0 ? POSITIVE : NEGATIVE, strengthOf(grad, largest));
  }

  function number(x) {
    return typeof x === "string" ? Number(x) : x;
  }

  // ------------------------------------------------------------------
  // The drawing: what is known of each node at a step, and painting it
  // ------------------------------------------------------------------

  // What is known of node `node` at step `step`.
  function stateAt(node, step) {
    let blame = null;
    let path = -1;
    for (const [when, total, k] of node.blameSteps) {
      if (when <= step && k > path) {
        blame = number(total);
        path = k;
      }
    }
    return {
      valueKnown: step >= node.valueStep,
      handed: node.handStep !== null && step >= node.handStep,
      blame: blame,
      path: path,
      complete: blame !== null && (node.paths === 0 || path === node.paths),
    };
  }

  // The numbers of the recording, as paint() takes them: per node its data, its
  // local derivatives and its blame, and the largest |blame| (colours are relative
  // to it). The live lab paints numbers of its own in the same shape.
  function recordedNumbers(data) {
    return {
      data: data.nodes.map((node) => number(node.data)),
      local: data.nodes.map((node) => node.local.map(number)),
      blame: data.nodes.map((node) => number(node.blame)),
      largest: number(data.largestBlame),
      recorded: true,
    };
  }

  // Every marked element of the drawing, and a function that paints them all
  // from the nodes' numbers and states.
  function makeDrawing(figure, data) {
    const marked = Array.from(figure.querySelectorAll("[data-mgx]"), (element) => ({
      element: element,
      kind: element.getAttribute("data-mgx"),
      node: Number(element.getAttribute("data-mgx-node")),
      child: Number(element.getAttribute("data-mgx-child") || 0),
      prefix: element.getAttribute("data-mgx-prefix") || "",
      fill: element.getAttribute("data-mgx-fill") || NO_BLAME,
      // a weight's line as Graphviz drew it (network view): its width and dashes
      width: element.getAttribute("stroke-width"),
      dashes: element.getAttribute("stroke-dasharray"),
      room: Number(element.getAttribute("data-mgx-room")) || 0, // how wide its text may be
    }));
    // The elements that stand for one node and carry its numbers in full.
    const holders = Array.from(figure.querySelectorAll("[data-mgx-holds]"), (element) => ({
      element: element,
      node: Number(element.getAttribute("data-mgx-holds")),
    }));
    const recorded = recordedNumbers(data);

    function text(item, state, numbers) {
      const paths = data.nodes[item.node].paths;
      const local = () => numbers.local[item.node][item.child];
      switch (item.kind) {
        case "data":
          return item.prefix + (state.valueKnown ? formatNumber(numbers.data[item.node]) : "?");
        case "blame":
          if (state.blame === null) return "blame ?";
          return (state.complete ? "blame " : "so far ") + formatNumber(state.blame);
        case "paths":
          if (state.blame === null) return "from " + paths + " paths";
          if (!state.complete) return state.path + " of " + paths + " paths";
          return "sum of " + paths + " paths";
        case "local":
          return "local " + (state.valueKnown ? formatNumber(local()) : "?");
        case "passed":
          if (!state.handed) return "passes blame ?";
          return "passes blame " + formatNumber(local() * numbers.blame[item.node]);
        default:
          return null;
      }
    }

    // A weight's line (network view): thicker for a larger weight, dashed when it is
    // negative, as microgradx.network_view draws it (line_width).
    function drawLine(item, numbers) {
      if (numbers.recorded || !data.lineWidths) {
        setOrRemove(item.element, "stroke-width", item.width);
        setOrRemove(item.element, "stroke-dasharray", item.dashes);
        return;
      }
      const [thinnest, thickest] = data.lineWidths;
      const weight = numbers.data[item.node];
      const largest = numbers.largestWeight;
      const width = largest === 0 ? thinnest : thinnest + ((thickest - thinnest) * Math.abs(weight)) / largest;
      item.element.setAttribute("stroke-width", width.toFixed(2));
      if (item.element.tagName.toLowerCase() === "path") {
        setOrRemove(item.element, "stroke-dasharray", weight < 0 ? "5,2" : null);
      }
    }

    // states[i] is what is known of node i, numbers the numbers to show (the
    // recording's unless given); paint() writes them into the drawing.
    function paint(states, numbers) {
      numbers = numbers || recorded;
      if (!numbers.recorded && numbers.largestWeight === undefined) {
        const weights = marked.filter((item) => item.kind === "stroke");
        numbers.largestWeight = Math.max(0, ...weights.map((item) => Math.abs(numbers.data[item.node])));
      }
      const rewritten = [];
      for (const item of marked) {
        const state = states[item.node];
        if (item.kind === "cell") {
          const colour = state.blame === null ? item.fill : blameColour(state.blame, numbers.largest);
          item.element.setAttribute("fill", colour);
        } else if (item.kind === "stroke") {
          const colour = strokeColour(state.blame, numbers.largest);
          item.element.setAttribute("stroke", colour);
          if (item.element.tagName.toLowerCase() === "polygon") {
            item.element.setAttribute("fill", colour);
          }
          drawLine(item, numbers);
        } else {
          const shown = text(item, state, numbers);
          if (shown !== null && item.element.textContent !== shown) {
            item.element.textContent = shown;
            if (item.room > 0) rewritten.push(item);
          }
        }
      }
      fitTexts(rewritten);
      for (const { element, node } of holders) {
        const state = states[node];
        setOrRemove(element, "data-value", state.valueKnown ? pythonRepr(numbers.data[node]) : null);
        setOrRemove(element, "data-blame", state.blame !== null ? pythonRepr(state.blame) : null);
      }
    }

    // A text wider than its room (a long number the live lab computed, or a font wider
    // than the drawing expected) is narrowed until it fits: it never spills out of its
    // cell. All texts are measured after all are written: the page is laid out once.
    function fitTexts(items) {
      items.forEach((item) => item.element.removeAttribute("textLength"));
      const lengths = items.map((item) => item.element.getComputedTextLength());
      items.forEach((item, k) => {
        if (lengths[k] > item.room) {
          item.element.setAttribute("textLength", item.room.toFixed(2));
          item.element.setAttribute("lengthAdjust", "spacingAndGlyphs");
        } else {
          item.element.removeAttribute("lengthAdjust");
        }
      });
    }

    return { paint: paint };
  }

  function setOrRemove(element, name, value) {
    if (value === null || value === undefined) element.removeAttribute(name);
    else if (element.getAttribute(name) !== value) element.setAttribute(name, value);
  }

  // ------------------------------------------------------------------
  // The player
  // ------------------------------------------------------------------

  function startPlayer(player) {
    player.setAttribute("data-mgx-started", "");
    const data = JSON.parse(player.querySelector(".mgx-data").textContent);
    const steps = data.steps;
    const lastStep = steps.length - 1;
    const find = (selector) => player.querySelector(selector);
    const figure = find(".mgx-graph");
    const svg = figure.querySelector("svg");
    const svgElement = (id) => figure.querySelector('[id="' + id + '"]');
    const drawing = makeDrawing(figure, data);

    const controls = {
      first: find(".mgx-first"),
      previous: find(".mgx-previous"),
      play: find(".mgx-play"),
      next: find(".mgx-next"),
      last: find(".mgx-last"),
      slider: find(".mgx-slider"),
      counter: find(".mgx-counter"),
      zoom: find(".mgx-zoom"),
    };
    const panel = {
      phase: find(".mgx-panel .mgx-phase"),
      title: find(".mgx-panel .mgx-title-text"),
      lines: find(".mgx-panel .mgx-lines"),
      note: find(".mgx-panel .mgx-note"),
      box: find(".mgx-panel"),
    };
    // Each node's group in the drawing, and for a computed node its op and edges.
    const groups = data.nodes.map((node) => ({
      shown: node.shownIn ? svgElement(node.shownIn) : null,
      opParts: node.opParts.map(svgElement).filter(Boolean),
    }));

    let current = 0;
    let timer = null;
    let lit = [];

    function show(index) {
      current = Math.max(0, Math.min(lastStep, index));
      const step = steps[current];
      player.dataset.phase = step.phase;
      player.dataset.step = String(current);
      drawing.paint(data.nodes.map((node) => stateAt(node, current)));
      light(step);
      writePanel(step);
      updateControls(step);
      // The step's node; at the start and the end (many nodes), the first of them.
      if (step.current.length > 0) keepInView(groups[step.current[0]].shown);
    }

    function clearLights() {
      lit.forEach(([element, name]) => element.classList.remove(name));
      lit = [];
    }

    function light(step) {
      clearLights();
      const add = (element, name) => {
        if (!element || element.classList.contains(name)) return;
        element.classList.add(name);
        lit.push([element, name]);
      };
      data.nodes.forEach((node, i) => {
        const pending = current < node.valueStep;
        groups[i].opParts.forEach((part) => pending && add(part, "mgx-pending"));
        if (data.view === "values" && groups[i].shown) {
          if (pending) add(groups[i].shown, "mgx-pending");
          const state = stateAt(node, current);
          if (state.complete && (state.handed || node.handStep === null)) {
            add(groups[i].shown, "mgx-finished");
          }
        }
      });
      step.inputs.forEach((i) => add(groups[i].shown, "mgx-input"));
      step.current.forEach((i) => add(groups[i].shown, "mgx-current"));
      step.flowing.forEach((id) => add(svgElement(id), "mgx-flowing"));
    }

    function writePanel(step) {
      panel.phase.textContent = PHASE_NAMES[step.phase] + ":";
      panel.title.textContent = step.title;
      panel.lines.replaceChildren(
        ...step.lines.map((line) => {
          const row = document.createElement("div");
          row.textContent = line;
          return row;
        })
      );
      panel.note.textContent = step.note;
      panel.box.scrollTop = 0;
    }

    function updateControls(step) {
      controls.first.disabled = controls.previous.disabled = current === 0;
      controls.next.disabled = controls.last.disabled = current === lastStep;
      controls.slider.value = String(current);
      const position = "Step " + (current + 1) + " of " + steps.length;
      controls.slider.setAttribute("aria-valuetext", position + ": " + step.title);
      controls.counter.textContent = current + 1 + " / " + steps.length;
    }

    // Scroll the drawing (not the page) to centre the step's node if it is not in view.
    function keepInView(element) {
      if (!element) return;
      const box = element.getBoundingClientRect();
      const frame = figure.getBoundingClientRect();
      const left = frame.left + figure.clientLeft;
      const top = frame.top + figure.clientTop;
      const right = left + figure.clientWidth;
      const bottom = top + figure.clientHeight;
      const margin = 16;
      if (box.left < left + margin || box.right > right - margin) {
        figure.scrollLeft += (box.left + box.right) / 2 - (left + right) / 2;
      }
      if (box.top < top + margin || box.bottom > bottom - margin) {
        figure.scrollTop += (box.top + box.bottom) / 2 - (top + bottom) / 2;
      }
    }

    // --- the size of the drawing ---------------------------------------

    const natural = svg ? { width: svg.width.baseVal.value, height: svg.height.baseVal.value } : null;
    // The smallest text's size in pixels at natural size.
    const smallestText = (() => {
      if (!svg) return SMALLEST_TEXT_PX;
      const box = svg.viewBox.baseVal;
      const unit = box && box.width ? natural.width / box.width : 1;
      let smallest = Infinity;
      svg.querySelectorAll("text").forEach((element) => {
        const size = parseFloat(element.getAttribute("font-size"));
        if (size > 0) smallest = Math.min(smallest, size * unit);
      });
      return smallest === Infinity ? SMALLEST_TEXT_PX : smallest;
    })();

    function sizeDrawing() {
      if (!svg) return;
      const mode = controls.zoom.value;
      const page = player.dataset.mode === "page";
      figure.style.flex = ""; // take the whole share of the height, then give back
      svg.style.width = svg.style.height = "";
      const style = getComputedStyle(figure);
      const padX = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
      const padY = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
      const width = figure.clientWidth - padX;
      const height = figure.clientHeight - padY;
      let scale = 1;
      if (mode === "width") {
        scale = Math.min(1, width / natural.width);
      } else if (mode === "readable") {
        const fits = Math.min(width / natural.width, height > 0 ? height / natural.height : 1);
        const readable = Math.min(1, SMALLEST_TEXT_PX / smallestText);
        scale = Math.min(1, Math.max(fits, readable));
      }
      svg.style.width = natural.width * scale + "px";
      svg.style.height = natural.height * scale + "px";
      player.dataset.scale = scale.toFixed(4);
      // On a page of its own, a drawing that fits leaves the rest to the step's text.
      const needed = natural.height * scale + padY + figure.offsetHeight - figure.clientHeight;
      if (page && natural.width * scale <= width + 0.5 && needed < figure.offsetHeight) {
        figure.style.flex = "0 0 " + Math.ceil(needed) + "px";
      }
    }

    // --- playing, keys and clicks --------------------------------------

    // A click or a key press takes over from playing.
    function goTo(index) {
      pause();
      show(index);
    }

    function play() {
      if (current === lastStep) show(0);
      timer = setInterval(playOneStep, PLAY_INTERVAL_MS);
      controls.play.textContent = "\u275A\u275A Pause";
      controls.play.setAttribute("aria-pressed", "true");
    }

    function playOneStep() {
      if (current < lastStep) show(current + 1);
      else pause();
    }

    function pause() {
      if (timer === null) return;
      clearInterval(timer);
      timer = null;
      controls.play.textContent = "\u25B6 Play";
      controls.play.setAttribute("aria-pressed", "false");
    }

    function togglePlay() {
      if (timer === null) play();
      else pause();
    }

    const keyActions = {
      ArrowRight: () => goTo(current + 1),
      ArrowLeft: () => goTo(current - 1),
      Home: () => goTo(0),
      End: () => goTo(lastStep),
      " ": togglePlay,
    };

    function onKey(event) {
      const action = keyActions[event.key];
      if (!action || event.altKey || event.ctrlKey || event.metaKey) return;
      if (player.dataset.showing === "lab") return; // the live lab shows; its controls have keys
      const target = event.target instanceof Element ? event.target : document.body;
      // The slider and the size menu handle their own keys; Space presses a focused button.
      if (target.closest("input, select, textarea")) return;
      if (event.key === " " && target.closest("button, summary, a")) return;
      event.preventDefault();
      action();
    }

    controls.first.addEventListener("click", () => goTo(0));
    controls.previous.addEventListener("click", () => goTo(current - 1));
    controls.play.addEventListener("click", togglePlay);
    controls.next.addEventListener("click", () => goTo(current + 1));
    controls.last.addEventListener("click", () => goTo(lastStep));
    controls.slider.addEventListener("input", () => goTo(Number(controls.slider.value)));
    controls.zoom.addEventListener("change", () => {
      sizeDrawing();
      if (player.dataset.showing !== "lab") show(current); // the lab keeps its own numbers
    });
    (data.keyboard === "page" ? document : player).addEventListener("keydown", onKey);
    window.addEventListener("resize", sizeDrawing);

    // The script runs: swap the text-only view for the stepper.
    find(".mgx-no-script").hidden = true;
    const allSteps = find(".mgx-all-steps");
    if (allSteps) allSteps.open = false;
    [".mgx-controls", ".mgx-panel", ".mgx-legend"].forEach(
      (selector) => (find(selector).hidden = false)
    );
    controls.zoom.value = data.zoom;
    sizeDrawing();
    show(0);
    // For tools that build on the player (the live lab, player_page/lab.js): the data,
    // and painting from it. paint(states, numbers) takes one state per node,
    // {valueKnown, handed, blame, path, complete}, and the numbers to show, shaped as
    // recordedNumbers() makes them (the recording's when left out). showStep(index)
    // shows a step of the recording again; clearLights() and pause() stop the stepper's
    // highlights and playing.
    player.microgradx = {
      data: data,
      paint: drawing.paint,
      stateAt: stateAt,
      show: show,
      showStep: () => show(current),
      clearLights: clearLights,
      pause: pause,
      sizeDrawing: sizeDrawing,
    };
  }

  // For tests and tools: the functions that must agree with Python.
  window.microgradxPlayer = {
    formatNumber: formatNumber,
    pythonRepr: pythonRepr,
    blameColour: blameColour,
    strokeColour: strokeColour,
  };

  // A notebook can hold several players: start each one that has not started yet.
  document.querySelectorAll(".mgx-player:not([data-mgx-started])").forEach(startPlayer);
})();
