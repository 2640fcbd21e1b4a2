// The playground's editor, imported by handbook.js on the first "Edit and run" click (nothing of
// it loads before). The example's code becomes a labelled text area; Run (or Ctrl+Enter /
// Cmd+Enter) runs it in a worker (worker.mjs) on a fresh in-browser PostgreSQL after the page's
// earlier examples (_playground/<page>.json, written by the build); Reset restores the code and
// the build's output; Escape leaves the text area for the Run button. See
// _ext/handbook/examples/playground.py.
import { render } from "./pgformat.mjs";

const TIMEOUT = 10;  // seconds a reader's code may run
const STARTUP = 60;  // seconds PostgreSQL may take to start and replay the chain
const pages = new Map();  // page -> promise of its _playground JSON
let status = null;  // the one live region of the page
let noted = false;
let counter = 0;

const STYLE = `
.handbook-playground-note { font-size: var(--font-size--small); color: var(--color-foreground-secondary); }
.handbook-playground label { display: block; font-size: var(--font-size--small); margin-bottom: .25rem; }
.handbook-playground textarea { box-sizing: border-box; width: 100%; resize: vertical; padding: .625rem .875rem;
  font-family: var(--font-stack--monospace); font-size: var(--code-font-size); line-height: 1.4;
  color: var(--color-foreground-primary); background: var(--color-code-background);
  border: 1px solid var(--color-foreground-border); border-radius: .2rem; }
.handbook-playground textarea:focus-visible { outline: 2px solid var(--color-brand-primary); outline-offset: 1px; }
.handbook-playground-actions { display: flex; gap: .5rem; align-items: center; margin: .25rem 0 1rem; }
.handbook-playground-actions span { font-size: var(--font-size--small); color: var(--color-foreground-secondary); }
.handbook-playground-status { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
@media screen { .handbook-playground-open > div.highlight-sql { display: none; } }
@media print { .handbook-playground, .handbook-playground-note { display: none; } }
`;

function chain(page) {
  if (!pages.has(page)) {
    const url = new URL(`../../_playground/${page}.json`, import.meta.url);
    pages.set(page, fetch(url).then((response) => {
      if (!response.ok) throw new Error(`${response.status} ${url}`);
      return response.json();
    }));
    pages.get(page).catch(() => pages.delete(page));
  }
  return pages.get(page);
}

function announce(text) {
  status.textContent = text;
}

function setUp() {
  if (status) return;
  const style = document.createElement("style");
  style.textContent = STYLE;
  document.head.append(style);
  status = document.createElement("div");
  status.className = "handbook-playground-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  document.body.append(status);
}

function element(tag, properties = {}, ...children) {
  const made = Object.assign(document.createElement(tag), properties);
  made.append(...children);
  return made;
}

function stoppedResult(text) {
  return { outputs: [], error: text };
}

class Editor {
  constructor(container, button, data, index) {
    this.container = container;
    this.button = button;
    this.block = data.blocks[index];
    this.chain = data.blocks.slice(0, index).map((block) => block.code);
    this.code = container.querySelector("div.highlight-sql");
    this.original = container.querySelector(".handbook-example-output");
    this.output = this.original;
    this.worker = null;
    this.timer = null;
    this.snapshot = null;  // a fresh database, from the second worker
    this.warmed = 0;  // workers started

    const id = `handbook-playground-${++counter}`;
    this.area = element("textarea", {
      id, value: this.block.code, spellcheck: false, rows: this.block.code.split("\n").length + 1,
    });
    this.area.setAttribute("autocapitalize", "off");
    this.area.setAttribute("autocorrect", "off");
    const height = this.code.getBoundingClientRect().height;
    if (height) this.area.style.minHeight = `${Math.round(height)}px`;
    const label = element("label", { htmlFor: id, textContent: "SQL to run in your browser (Ctrl+Enter or ⌘+Enter runs it)" });
    this.run = element("button", { type: "button", textContent: "Run" });
    this.reset = element("button", { type: "button", textContent: "Reset" });
    this.state = element("span", { textContent: "" });
    this.editor = element("div", { className: "handbook-playground" }, label, this.area,
      element("div", { className: "handbook-playground-actions" }, this.run, this.reset, this.state));
    if (!noted) {
      noted = true;
      this.editor.prepend(element("p", { className: "handbook-playground-note", textContent: data.note }));
    }
    container.classList.add("handbook-playground-open");  // the code shows as the editor, on screen
    this.button.hidden = true;
    this.code.after(this.editor);

    this.run.addEventListener("click", () => this.start());
    this.reset.addEventListener("click", () => this.restore());
    this.area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.start();
      } else if (event.key === "Escape") {
        event.preventDefault();
        this.run.focus();
      }
    });
    this.warm();
    this.area.focus();
  }

  // A worker with a fresh database and the page's chain replayed, started while the reader edits.
  warm() {
    const worker = new Worker(new URL("worker.mjs", import.meta.url), { type: "module" });
    this.worker = worker;
    worker.onmessage = ({ data }) => this.message(worker, data);
    // The first worker of the editor answers first; the next takes the snapshot of a fresh database.
    worker.postMessage({ chain: this.chain, snapshot: this.snapshot, take: this.warmed > 0 && !this.snapshot });
    this.warmed += 1;
  }

  message(worker, data) {
    if (data.phase === "snapshot") {
      this.snapshot = data.snapshot;
      return;
    }
    if (worker !== this.worker || !this.running) return;
    if (data.phase === "running") {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.finish(stoppedResult(
        `Stopped after ${TIMEOUT} seconds: the statement ran past the time limit of the in-browser `
        + "PostgreSQL (the page stays usable; shorten the work or add a LIMIT)."), "Error: stopped at the time limit"),
        TIMEOUT * 1000);
    } else if (data.phase === "done") {
      this.finish(data.result, data.result.error ? "Error" : "Done");
    } else {
      this.finish(stoppedResult(`The in-browser PostgreSQL failed: ${data.message}`), "Error");
    }
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    if (this.worker) this.worker.terminate();
    this.worker = null;
  }

  show(result) {
    const box = render(document, result);
    if (this.output) this.output.replaceWith(box);
    else this.editor.after(box);
    this.output = box;
  }

  finish(result, message) {
    this.stop();
    this.show(result);
    this.state.textContent = message;
    announce(message);
    this.warm();  // the next run starts from a fresh database again
  }

  start() {
    if (this.running) this.stop();  // a run while one runs: start again on a fresh database
    if (!this.worker) this.warm();
    const worker = this.worker;
    this.running = true;
    this.state.textContent = "Running…";
    announce("Running");
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.finish(stoppedResult(
      `Stopped: PostgreSQL in your browser did not start within ${STARTUP} seconds.`), "Error: stopped"), STARTUP * 1000);
    worker.onerror = (event) => {
      event.preventDefault();
      this.finish(stoppedResult(`The in-browser PostgreSQL could not start: ${event.message || "worker error"}`), "Error");
    };
    worker.postMessage({ code: this.area.value, masks: this.block.masks });
  }

  restore() {
    this.stop();
    this.area.value = this.block.code;
    if (this.output !== this.original) {
      if (this.original) this.output.replaceWith(this.original);
      else this.output.remove();
      this.output = this.original;
    }
    this.state.textContent = "";
    announce("Reset to the original example and its output");
    this.warm();
    this.area.focus();
  }
}

export async function open(button) {
  if (button.dataset.opening) return;  // a second click while the first loads
  button.dataset.opening = "1";
  const container = button.closest(".handbook-example");
  setUp();
  announce("Loading the editor");
  try {
    const data = await chain(button.dataset.page);
    new Editor(container, button, data, Number(button.dataset.block));
    announce("Editor open");
  } catch (error) {
    delete button.dataset.opening;
    announce(`The editor could not load: ${error.message}`);
  }
}
