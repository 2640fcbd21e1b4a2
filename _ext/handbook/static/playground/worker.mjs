// The playground's worker: one fresh PGlite (from the site's own copy, ../vendor/pglite/) per run,
// off the page's thread, so that a long statement never freezes the page (editor.mjs ends the
// worker at its time limit). Messages in: { chain: [code], snapshot?, take? } (start the database and
// replay the page's chain, while the reader edits; the database starts from the snapshot an
// earlier worker took of a fresh one, when there is one: about 2 s instead of initdb's 3-12 s;
// `take` asks for that snapshot, which the editor leaves to the second worker, so that the
// first result waits for nothing more than initdb),
// then { code, masks }. Out: { phase: "snapshot", snapshot } (a fresh database, gzipped; taken
// before the chain, whose sequences would jump on a restore),  { phase: "running" }
// when the reader's code starts, then { phase: "done", result } or { phase: "failed", message }.
import { PGlite, protocol } from "../vendor/pglite/index.js";
import { masked, replay, runBlock } from "./pgformat.mjs";

let db = null;

async function start({ chain, snapshot, take }) {
  let started;
  if (snapshot) started = await PGlite.create({ loadDataDir: snapshot });
  else {
    started = await PGlite.create();
    if (take) self.postMessage({ phase: "snapshot", snapshot: await started.dumpDataDir("gzip") });
  }
  await replay(started, protocol, chain);
  return started;
}

self.onmessage = async ({ data }) => {
  try {
    if (data.chain) {
      db = start(data);
      db.catch(() => {});  // reported when the code is sent
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
