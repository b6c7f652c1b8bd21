// microgradx backprop player. Every text and number of a step was computed in
// Python and sits in the JSON block next to this script: the script only shows
// one step at a time, lights up its part of the drawing, and runs the controls.
(function () {
  "use strict";

  const PLAY_INTERVAL_MS = 1500;
  const SMALLEST_FITTED_SCALE = 0.6; // below this a fitted drawing is hard to read
  const PHASE_NAMES = {
    start: "Start",
    forward: "Forward pass",
    seed: "Backward pass",
    backward: "Backward pass",
    done: "Done",
  };

  function startPlayer(player) {
    player.setAttribute("data-mgx-started", "");
    const data = JSON.parse(player.querySelector(".mgx-data").textContent);
    const steps = data.steps;
    const lastStep = steps.length - 1;
    const find = (selector) => player.querySelector(selector);
    const figure = find(".mgx-graph");
    const svgElement = (id) => figure.querySelector('[id="' + id + '"]');

    const controls = {
      first: find(".mgx-first"),
      previous: find(".mgx-previous"),
      play: find(".mgx-play"),
      next: find(".mgx-next"),
      last: find(".mgx-last"),
      slider: find(".mgx-slider"),
      counter: find(".mgx-counter"),
      fit: find(".mgx-fit"),
    };
    const panel = {
      phase: find(".mgx-phase"),
      title: find(".mgx-panel .mgx-step-title"),
      lines: find(".mgx-panel .mgx-lines"),
      note: find(".mgx-panel .mgx-note"),
    };
    // Each node's pieces of the drawing: its value box, and for a computed node
    // its op and the edges into and out of it.
    const drawing = data.nodes.map((node, i) => ({
      value: svgElement("value-" + i),
      opParts: node.opParts.map(svgElement).filter(Boolean),
    }));

    let current = 0;
    let timer = null;
    let flowingElements = [];

    function show(index) {
      current = Math.max(0, Math.min(lastStep, index));
      const step = steps[current];
      player.dataset.phase = step.phase;
      player.dataset.step = String(current);
      paintGraph(step);
      writePanel(step);
      updateControls(step);
      // The step's node; at the start and the end (all the leaves), the last of them.
      if (step.current.length > 0) keepInView(drawing[step.current[step.current.length - 1]].value);
    }

    function paintGraph(step) {
      const currentNodes = new Set(step.current);
      const inputNodes = new Set(step.inputs);
      data.nodes.forEach((node, i) => {
        const pending = current < node.computedAt;
        drawing[i].opParts.forEach((part) => part.classList.toggle("mgx-pending", pending));
        const value = drawing[i].value;
        if (!value) return;
        value.classList.toggle("mgx-pending", pending);
        value.classList.toggle("mgx-finished", current > node.finishedAt);
        value.classList.toggle("mgx-input", inputNodes.has(i));
        value.classList.toggle("mgx-current", currentNodes.has(i));
      });
      flowingElements.forEach((element) => element.classList.remove("mgx-flowing"));
      flowingElements = step.flowing.map(svgElement).filter(Boolean);
      flowingElements.forEach((element) => element.classList.add("mgx-flowing"));
    }

    function writePanel(step) {
      panel.phase.textContent = PHASE_NAMES[step.phase];
      panel.title.textContent = step.title;
      panel.lines.replaceChildren(
        ...step.lines.map((line) => {
          const row = document.createElement("div");
          row.textContent = line;
          return row;
        })
      );
      panel.note.textContent = step.note;
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
      const target = event.target instanceof Element ? event.target : document.body;
      // The slider and the checkbox handle their own keys; Space presses a focused button.
      if (target.closest("input, select, textarea")) return;
      if (event.key === " " && target.closest("button, summary, a")) return;
      event.preventDefault();
      action();
    }

    function fitToWidth(fit) {
      controls.fit.checked = fit;
      figure.classList.toggle("mgx-fitted", fit);
    }

    controls.first.addEventListener("click", () => goTo(0));
    controls.previous.addEventListener("click", () => goTo(current - 1));
    controls.play.addEventListener("click", togglePlay);
    controls.next.addEventListener("click", () => goTo(current + 1));
    controls.last.addEventListener("click", () => goTo(lastStep));
    controls.slider.addEventListener("input", () => goTo(Number(controls.slider.value)));
    controls.fit.addEventListener("change", () => fitToWidth(controls.fit.checked));
    (data.keyboard === "page" ? document : player).addEventListener("keydown", onKey);

    // The script runs: swap the text-only view for the stepper.
    find(".mgx-no-script").hidden = true;
    find(".mgx-all-steps").open = false;
    [".mgx-controls", ".mgx-panel", ".mgx-legend"].forEach(
      (selector) => (find(selector).hidden = false)
    );
    // Fit a drawing to the width unless that would shrink it too much to read.
    const svg = figure.querySelector("svg");
    const naturalWidth = svg ? svg.getBoundingClientRect().width : 0;
    fitToWidth(naturalWidth * SMALLEST_FITTED_SCALE <= figure.clientWidth);
    show(0);
  }

  // A notebook can hold several players: start each one that has not started yet.
  document.querySelectorAll(".mgx-player:not([data-mgx-started])").forEach(startPlayer);
})();
