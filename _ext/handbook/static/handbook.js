// The handbook's own script, on every page (see _ext/handbook/assets.py and navigation.py).

// Search words: load Sphinx's sphinx_highlight.js only when a search sent the reader here with
// words to mark (most visits have none, and the script is 2 KB compressed).
(function () {
  "use strict";
  if (!localStorage.getItem("sphinx_highlight_terms") && !new URL(location).searchParams.has("highlight")) return;
  const script = document.createElement("script");
  script.src = (document.documentElement.dataset.content_root || "") + "_static/sphinx_highlight.js";
  document.head.append(script);
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
