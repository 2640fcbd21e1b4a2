// The playground's worker: one fresh PGlite (from the site's own copy, ../vendor/pglite/) per run,
// off the page's thread, so that a long statement never freezes the page (editor.mjs ends the
// worker at its time limit). Messages in: { chain: [code] } (start the database and replay the
// page's chain, while the reader edits), then { code, masks }. Out: { phase: "running" } when the
// reader's code starts, then { phase: "done", result } or { phase: "failed", message }.
import { PGlite, protocol } from "../vendor/pglite/index.js";
import { masked, replay, runBlock } from "./pgformat.mjs";

let db = null;

self.onmessage = async ({ data }) => {
  try {
    if (data.chain) {
      db = PGlite.create().then(async (started) => {
        await replay(started, protocol, data.chain);
        return started;
      });
      return;
    }
    const ready = await db;
    self.postMessage({ phase: "running" });
    const result = await runBlock(ready, protocol, data.code);
    self.postMessage({ phase: "done", result: masked(result, data.masks) });
  } catch (error) {
    self.postMessage({ phase: "failed", message: String((error && error.message) || error) });
  }
};
