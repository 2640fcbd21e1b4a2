// The playground's parity check (run by tests/test_playground.py): every editable example of a
// built site, run unedited on the vendored PGlite under Node.js with the browser's own module
// (pgformat.mjs), must show the build's output after the masks and the declared differences
// (handbook_playground_differences in conf.py, in _playground/index.json).
//
//   node tests/playground_parity.mjs SITE_DIR [PAGE...]
//
// Prints one JSON object: { postgres: version_num, checked, differences: [{ page, line, build,
// browser }], slow: [{ page, line, ms }] }; on standard error, each block as it runs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [site, ...only] = process.argv.slice(2);
const load = (path) => import(pathToFileURL(join(site, "_static", path)).href);
const { PGlite, protocol } = await load("vendor/pglite/index.js");
const { masked, replay, runBlock } = await load("playground/pgformat.mjs");
const index = JSON.parse(readFileSync(join(site, "_playground", "index.json"), "utf-8"));
const allowed = index.differences.map(({ pattern, replace }) => [new RegExp(pattern, "gm"), replace ?? ""]);
const normal = (result) => JSON.stringify(result, (key, value) => (typeof value === "string"
  ? allowed.reduce((text, [pattern, replace]) => text.replace(pattern, replace), value) : value), 1);

// An editable example must finish well within the editor's 10 s limit, on a loaded machine too.
const SLOW = 5000;
const report = { postgres: null, checked: 0, differences: [], slow: [] };
for (const [page, counts] of Object.entries(index.pages)) {
  if (!counts.editable || (only.length && !only.includes(page))) continue;
  const { blocks } = JSON.parse(readFileSync(join(site, "_playground", `${page}.json`), "utf-8"));
  const db = await PGlite.create();
  if (report.postgres === null) {
    report.postgres = (await db.query("SELECT current_setting('server_version_num') AS v")).rows[0].v;
  }
  await replay(db, protocol, []);
  for (const block of blocks) {
    process.stderr.write(`${page}:${block.line} `);  // the last one named is the one that hung
    const started = Date.now();
    const result = await runBlock(db, protocol, block.code);
    const took = Date.now() - started;
    process.stderr.write(`${took} ms\n`);
    if (block.editable && took > SLOW) report.slow.push({ page, line: block.line, ms: took });
    if (!block.editable) continue;
    report.checked += 1;
    const browser = normal(masked(result, block.masks));
    const build = normal(block.expected);
    if (browser !== build) report.differences.push({ page, line: block.line, build, browser });
  }
  await db.close();
}
process.stdout.write(JSON.stringify(report) + "\n");
