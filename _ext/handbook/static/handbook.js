// The handbook's own script, on every page (see _ext/handbook/assets.py and navigation.py).
// It stands in for three scripts that handbook/assets.py leaves off the pages (5 KB compressed
// of the 40 KB a first visit may cost): Sphinx's doctools.js and sphinx_highlight.js, and
// clipboard.js.

// Search words: load Sphinx's sphinx_highlight.js (and doctools.js, which it needs) only when a
// search sent the reader here with words to mark; most visits have none.
(function () {
  "use strict";
  if (!localStorage.getItem("sphinx_highlight_terms") && !new URL(location).searchParams.has("highlight")) return;
  for (const name of ["doctools.js", "sphinx_highlight.js"]) {
    const script = document.createElement("script");
    script.src = (document.documentElement.dataset.content_root || "") + "_static/" + name;
    script.async = false;  // in this order
    document.head.append(script);
  }
})();

// The handbook's search, opened from anywhere: the search box when it is on screen (the sidebar
// on wide screens), else the search page (on a phone the box sits in the closed drawer).
function handbookOpenSearch() {
  "use strict";
  const box = document.querySelector("input[name=q]");
  const place = box ? box.getBoundingClientRect() : null;
  if (place && place.width && place.right > 0 && place.left < innerWidth
      && getComputedStyle(box).visibility !== "hidden") {
    box.focus();
    box.select();
  } else {
    location.href = box && box.form ? box.form.action
      : (document.documentElement.dataset.content_root || "") + "search.html";
  }
}

// Read the Docs injects its add-ons script into every page it serves. Its search add-on opens
// its own server-side search on the "readthedocs-search-show" event, which its hotkey ("/")
// and its flyout's search box dispatch on the document. Readers get one search, ours: the
// event is caught on its way down (window, capture phase), before the add-on's listener on the
// document, and opens the handbook's search instead. Nothing else dispatches it, so elsewhere
// this does nothing. The README's "Publishing on Read the Docs" names the dashboard settings
// that turn the add-on off; tests/test_readthedocs_addons.py stands in for the add-on.
window.addEventListener("readthedocs-search-show", (event) => {
  "use strict";
  event.stopImmediatePropagation();
  handbookOpenSearch();
}, true);

// Keyboard shortcuts, as doctools.js has them: the left and right arrow keys go to the previous
// and next page (the theme option navigation_with_keys), "/" to the search
// (enable_search_shortcuts). DOCUMENTATION_OPTIONS comes from Sphinx's documentation_options.js.
(function () {
  "use strict";
  const options = typeof DOCUMENTATION_OPTIONS === "undefined" ? {} : DOCUMENTATION_OPTIONS;
  if (!options.NAVIGATION_WITH_KEYS && !options.ENABLE_SEARCH_SHORTCUTS) return;
  document.addEventListener("keydown", (event) => {
    if (typeof Documentation !== "undefined") return;  // doctools.js, loaded after a search, does it
    if (["TEXTAREA", "INPUT", "SELECT", "BUTTON"].includes(document.activeElement.tagName)) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const arrow = { ArrowLeft: "prev", ArrowRight: "next" }[event.key];
    const target = arrow && !event.shiftKey && options.NAVIGATION_WITH_KEYS
      ? document.querySelector(`link[rel="${arrow}"]`) : null;
    if (target && target.href) {
      location.href = target.href;
      event.preventDefault();
    } else if (event.key === "/" && options.ENABLE_SEARCH_SHORTCUTS) {
      handbookOpenSearch();
      event.preventDefault();
    }
  });
})();

// Copy buttons: sphinx-copybutton's script calls `new ClipboardJS(selector, {text})` and listens
// for "success" and "error" (it waits for the class to exist). This is that much of clipboard.js,
// on the browser's Clipboard API; where a page is not served securely (http:// on another host),
// on the older copy command, as clipboard.js itself does.
(function () {
  "use strict";
  function copyCommand(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.readOnly = true;
    area.style.cssText = "position: fixed; top: 0; opacity: 0";
    document.body.append(area);
    area.select();
    const copied = document.execCommand("copy");
    area.remove();
    return copied ? Promise.resolve() : Promise.reject(new Error("copy command refused"));
  }

  window.ClipboardJS = window.ClipboardJS || class {
    constructor(selector, options) {
      this.handlers = {};
      document.addEventListener("click", (event) => {
        const trigger = event.target.closest(selector);
        if (!trigger) return;
        const text = options.text(trigger);
        const report = (kind) => this.handlers[kind] && this.handlers[kind]({ action: "copy", text, trigger });
        (navigator.clipboard ? navigator.clipboard.writeText(text) : copyCommand(text))
          .then(() => report("success"), () => report("error"));
      });
    }

    on(kind, handler) {
      this.handlers[kind] = handler;
      return this;
    }
  };
})();

// Navigation: fill in the sidebar branches a page leaves out. Each page carries only the part of
// Furo's tree a reader sees (the open branches); the whole tree is one shared file,
// _static/handbook-navigation.html, fetched the first time a reader reaches for the sidebar and
// cached by the browser from then on.
(function () {
  "use strict";
  const root = document.documentElement.dataset.content_root || "";
  const tree = document.querySelector(".sidebar-tree");
  let filling = null;

  // The closed branches of this page: a toggle, but no list of children.
  function missing() {
    if (!tree) return [];
    return [...tree.querySelectorAll("li.has-children")].filter(
      (item) => !item.querySelector(":scope > ul"));
  }

  // Links in the shared tree are relative to the site's root; make them relative to this page.
  function rebase(list) {
    for (const link of list.querySelectorAll("a[href]")) {
      const href = link.getAttribute("href");
      if (!/^([a-z][a-z0-9+.-]*:|#|\/)/i.test(href)) link.setAttribute("href", root + href);
    }
    return list;
  }

  function fill() {
    if (filling) return filling;
    const items = missing();
    if (!items.length) return (filling = Promise.resolve(0));
    filling = fetch(root + "_static/handbook-navigation.html", { cache: "no-cache" })
      .then((response) => {
        if (!response.ok) throw new Error(`${response.status} ${response.url}`);
        return response.text();
      })
      .then((html) => {
        const whole = document.createElement("template");
        whole.innerHTML = html;
        let filled = 0;
        for (const item of items) {
          // Checkbox ids number the branches of the whole tree, so they match across pages.
          const box = item.querySelector(":scope > input.toctree-checkbox");
          const twin = box && whole.content.getElementById(box.id);
          const list = twin && twin.parentElement.querySelector(":scope > ul");
          if (list) {
            item.append(rebase(list.cloneNode(true)));
            filled += 1;
          }
        }
        return filled;
      });
    filling.catch(() => { filling = null; });
    return filling;
  }

  window.handbookNavigation = { fill, missing };
  if (!tree || !missing().length) return;
  // Fetch as soon as the reader reaches for the sidebar, so a branch opens without waiting.
  for (const event of ["pointerover", "focusin", "touchstart"]) {
    tree.addEventListener(event, () => fill().catch(() => {}), { once: true, passive: true });
  }
  tree.addEventListener("change", (event) => {
    const box = event.target;
    if (!box.classList.contains("toctree-checkbox") || !box.checked) return;
    // Without the shared tree (a page opened from disk, say), go to the branch's own page,
    // which lists what the branch holds.
    fill().catch(() => { location.href = box.parentElement.querySelector(":scope > a").href; });
  });
})();

// The playground: an "Edit and run" button (rendered by the build under the PostgreSQL examples
// a reader can run in the browser) loads the editor on its first click; nothing of it loads
// before. See _ext/handbook/examples/playground.py and static/playground/editor.mjs.
document.addEventListener("click", (event) => {
  "use strict";
  const button = event.target.closest && event.target.closest("button.handbook-playground-edit");
  if (!button) return;
  const root = document.documentElement.dataset.content_root || "";
  import(new URL(root + "_static/playground/editor.mjs", location.href).href).then((editor) => editor.open(button));
});
