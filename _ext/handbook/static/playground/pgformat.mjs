// The playground's PostgreSQL side, one module for the browser (worker.mjs, editor.mjs) and for
// the parity check under Node.js (tests/playground_parity.mjs): split a block into statements,
// run them on PGlite, and turn the answers into the build's outputs, in the build's form:
// _ext/handbook/examples/engines.py (PostgresSession.run, _postgres_message) and the cells as
// Python's str() of psycopg's values; masks as the build applies them; the same HTML.

export const MAX_ROWS = 20;  // engines.MAX_ROWS
export const MASK = "…";  // examples.MASK
// The build's server settings that a session can set (engines.SERVER_SETTINGS, SESSION_SETUP);
// PGlite already runs in UTC with the C locale's messages, without parallel workers or JIT.
export const SESSION_SETUP = [
  "SET datestyle = 'ISO, YMD'",
  "SET lock_timeout = '2s'",
  "SET statement_timeout = '60s'",
  "SET jit = off",
  "SET max_parallel_workers_per_gather = 0",
];

// The statements of a SQL block, as the build sends them (engines.split_sql, which is sqlparse's
// split): at semicolons outside quotes, dollar quotes, comments and BEGIN ... END blocks (a BEGIN
// that is not "BEGIN;" or "BEGIN TRANSACTION/WORK" opens one, as in sqlparse); a comment on the
// line after a semicolon belongs to the statement before it; statements that are only comments
// are left out. tests/test_playground.py checks that both split every example alike.
const TRANSACTION = new Set(["TRANSACTION", "WORK", "TRAN", "DISTRIBUTED", "DEFERRED", "IMMEDIATE", "EXCLUSIVE"]);

export function splitSql(code) {
  const statements = [];
  let start = 0, i = 0, meaningful = false, depth = 0;
  const n = code.length;
  const wordAt = (at) => (/^\w+/.exec(code.slice(at)) || [""])[0].toUpperCase();
  while (i < n) {
    const c = code[i], next = code[i + 1];
    if (c === "-" && next === "-") {
      const end = code.indexOf("\n", i);
      i = end < 0 ? n : end + 1;
    } else if (c === "/" && next === "*") {
      let level = 1;
      i += 2;
      while (i < n && level) {
        if (code[i] === "/" && code[i + 1] === "*") { level += 1; i += 2; }
        else if (code[i] === "*" && code[i + 1] === "/") { level -= 1; i += 2; }
        else i += 1;
      }
    } else if (c === "'" || c === '"') {
      const escapes = c === "'" && /[eE]/.test(code[i - 1] || "") && !/\w/.test(code[i - 2] || "");
      i += 1;
      while (i < n) {
        if (escapes && code[i] === "\\") { i += 2; continue; }
        if (code[i] === c) {
          if (code[i + 1] === c) { i += 2; continue; }
          break;
        }
        i += 1;
      }
      i += 1;
      meaningful = true;
    } else if (c === "$" && !/\w/.test(code[i - 1] || "")) {
      const tag = /^\$([A-Za-z_][A-Za-z_0-9]*)?\$/.exec(code.slice(i));
      if (tag) {
        const end = code.indexOf(tag[0], i + tag[0].length);
        i = end < 0 ? n : end + tag[0].length;
      } else i += 1;
      meaningful = true;
    } else if (c === ";" && depth === 0) {
      i += 1;
      const rest = /^[ \t]*(--[^\n]*)?/.exec(code.slice(i))[0];
      if (rest.includes("--")) i += rest.length;
      if (meaningful) statements.push(code.slice(start, i).trim());
      start = i;
      meaningful = false;
    } else if (/\w/.test(c) && !/\w/.test(code[i - 1] || "")) {
      const word = wordAt(i);
      i += word.length;
      meaningful = true;
      if (word === "BEGIN") {
        const after = /^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*/.exec(code.slice(i))[0].length + i;
        if (code[after] !== ";" && after < n && !TRANSACTION.has(wordAt(after))) depth += 1;
      } else if (depth && word === "CASE") depth += 1;
      else if (depth && word === "END") depth -= 1;
    } else {
      if (!/\s/.test(c)) meaningful = true;
      i += 1;
    }
  }
  if (meaningful) statements.push(code.slice(start).trim());
  return statements;
}

// -- cells: Python's str() of the value psycopg returns for each type --------------------------

function pyString(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
  return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
}

function pyFloat(text) {
  if (text === "NaN") return "nan";
  if (text === "Infinity") return "inf";
  if (text === "-Infinity") return "-inf";
  const value = Number(text);
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return value.toFixed(1);
  let repr = String(value);  // shortest round trip, like Python's repr
  const exp = /e([+-])(\d+)$/.exec(repr);
  if (exp) repr = repr.replace(/e[+-]\d+$/, `e${exp[1]}${exp[2].padStart(2, "0")}`);
  else if (Math.abs(value) >= 1e16 || (value !== 0 && Math.abs(value) < 1e-4)) {
    repr = value.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
  }
  return repr;
}

function pyJson(value) {
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return pyString(value);
  if (typeof value === "number") return String(value);
  if (Array.isArray(value)) return "[" + value.map(pyJson).join(", ") + "]";
  return "{" + Object.entries(value).map(([k, v]) => `${pyString(k)}: ${pyJson(v)}`).join(", ") + "}";
}

function micro(fraction) {  // ".5" -> ".500000", as Python prints microseconds
  return fraction ? "." + fraction.slice(1).padEnd(6, "0") : "";
}

function pyTime(text) {  // 12:00:00.5 -> 12:00:00.500000
  return text.replace(/^(\d\d:\d\d:\d\d)(\.\d+)?/, (_, hms, fraction) => hms + micro(fraction));
}

function pyOffset(text) {  // +00 -> +00:00
  return text.replace(/([+-]\d\d)(?::?(\d\d))?(?::?(\d\d))?$/, (_, h, m, s) => `${h}:${m || "00"}` + (s ? `:${s}` : ""));
}

function pyTimestamp(text, withZone) {
  const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)?(.*)$/.exec(text);
  if (!match) return text;  // infinity, BC dates: psycopg would refuse or differ anyway
  return `${match[1]} ${match[2]}${micro(match[3])}${withZone ? pyOffset(match[4]) : match[4]}`;
}

function pyInterval(text) {  // postgres style -> datetime.timedelta (a month is 30 days, a year 365.25)
  let days = 0, seconds = 0;
  const units = { year: 365.25, mon: 30, day: 1 };
  for (const [, amount, unit] of text.matchAll(/(-?\d+) (year|mon|day)s?/g)) days += Number(amount) * units[unit];
  const clock = /(-)?(\d+):(\d\d):(\d\d)(\.\d+)?/.exec(text);
  let micros = 0;
  if (clock) {
    micros = ((Number(clock[2]) * 60 + Number(clock[3])) * 60 + Number(clock[4])) * 1e6
      + Math.round(Number("0" + (clock[5] || ".0")) * 1e6);
    if (clock[1]) micros = -micros;
  }
  let total = Math.round(days * 86400e6) + micros;
  const dayCount = Math.floor(total / 86400e6);
  total -= dayCount * 86400e6;
  seconds = Math.floor(total / 1e6);
  const fraction = total - seconds * 1e6;
  const clockText = `${Math.floor(seconds / 3600)}:${String(Math.floor(seconds / 60) % 60).padStart(2, "0")}:`
    + String(seconds % 60).padStart(2, "0") + (fraction ? "." + String(fraction).padStart(6, "0") : "");
  return dayCount ? `${dayCount} day${Math.abs(dayCount) === 1 ? "" : "s"}, ${clockText}` : clockText;
}

// Type oids (pg_type) whose text psycopg turns into a Python value printed differently.
const SCALARS = {
  16: (t) => (t === "t" ? "True" : "False"),
  700: pyFloat, 701: pyFloat,
  114: (t) => pyJson(JSON.parse(t)), 3802: (t) => pyJson(JSON.parse(t)),
  1083: pyTime, 1266: (t) => pyOffset(pyTime(t)),
  1114: (t) => pyTimestamp(t, false), 1184: (t) => pyTimestamp(t, true),
  1186: pyInterval,
  17: (t) => "b" + pyString(t),
};
// Array types -> their element type; elements print as Python's repr() inside a list.
const ARRAYS = { 1000: 16, 1005: 21, 1007: 23, 1016: 20, 1021: 700, 1022: 701, 1231: 1700, 1009: 25, 1015: 1043, 1014: 1042, 2951: 2950, 1115: 1114, 1185: 1184, 1182: 1082, 199: 114, 3807: 3802 };
const NUMERIC = new Set([20, 21, 23, 26, 1700, 700, 701]);
const PY_REPR_CLASS = { 1700: "Decimal", 1082: "datetime.date", 2950: "UUID" };

function parseArray(text) {  // a one-level PostgreSQL array literal -> element texts (null for NULL)
  const items = [];
  const body = text.replace(/^(\[[^\]]*\]=)?\{/, "").replace(/\}$/, "");
  if (!body) return items;
  let i = 0;
  while (i <= body.length) {
    if (body[i] === '"') {
      let value = "";
      i += 1;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === "\\") i += 1;
        value += body[i];
        i += 1;
      }
      items.push(value);
      i += 2;
    } else {
      const end = body.indexOf(",", i);
      const value = body.slice(i, end < 0 ? body.length : end);
      items.push(value === "NULL" ? null : value);
      i = end < 0 ? body.length + 1 : end + 1;
    }
  }
  return items;
}

function elementRepr(text, oid) {
  if (text === null) return "None";
  if (PY_REPR_CLASS[oid]) return `${PY_REPR_CLASS[oid]}('${text}')`;
  if (oid in SCALARS) {
    const value = SCALARS[oid](text);
    return oid === 16 || oid === 700 || oid === 701 ? value : pyString(value);
  }
  return NUMERIC.has(oid) ? text : pyString(text);
}

export function cell(text, oid) {
  if (text === null || text === undefined) return "NULL";
  if (oid in SCALARS) return SCALARS[oid](text);
  if (oid in ARRAYS && !text.startsWith("{{")) {
    return "[" + parseArray(text).map((item) => elementRepr(item, ARRAYS[oid])).join(", ") + "]";
  }
  return text;
}

// -- running ------------------------------------------------------------------------------------

// engines._postgres_message
export function errorText(error) {
  let text = `${error.severity || "ERROR"}:  ${error.message}`;
  if (error.detail) text += `\nDETAIL:  ${error.detail}`;
  return text;
}

// One block on PGlite (engines.PostgresSession.run): { outputs, error }, outputs being
// {table: [columns, rows, total]} or {text}, as the build's cache and _playground files have them.
export async function runBlock(db, protocol, code) {
  const outputs = [], status = [];
  for (const statement of splitSql(code)) {
    const { messages } = await db.execProtocol(protocol.serialize.query(statement), { throwOnError: false });
    let fields = null;
    const rows = [];
    for (const message of messages) {
      if (message.name === "error") return { outputs: [], error: errorText(message) };
      if (message.name === "rowDescription") fields = message.fields;
      else if (message.name === "dataRow") rows.push(message.fields);
      else if (message.name === "commandComplete" && !fields) status.push(message.text);
    }
    if (!fields) continue;
    const columns = fields.map((field) => field.name);
    if (columns.length === 1 && columns[0] === "QUERY PLAN") {
      outputs.push({ text: rows.map((row) => cell(row[0], fields[0].dataTypeID)).join("\n") });
    } else {
      const shown = rows.slice(0, MAX_ROWS).map((row) => row.map((value, i) => cell(value, fields[i].dataTypeID)));
      outputs.push({ table: [columns, shown, rows.length] });
    }
  }
  if (!outputs.length && status.some(Boolean)) outputs.push({ text: status.filter(Boolean).join("\n") });
  return { outputs, error: null };
}

// A fresh database with the build's session settings, then `chain` replayed (errors are part of
// some examples: they are ignored here, as the build's replay ignores them).
export async function replay(db, protocol, chain) {
  for (const statement of SESSION_SETUP) await db.exec(statement);
  for (const earlier of chain) await runBlock(db, protocol, earlier);
}

// -- masks (examples.RunDirective._masked) ----------------------------------------------------

function jsPattern(pattern) {  // the build's masks are Python expressions; the common syntax is shared
  return new RegExp(pattern.replace(/\(\?P</g, "(?<").replace(/\\Z/g, "$"), "g");
}

export function masked(result, masks) {
  const expressions = masks.map(jsPattern);
  const mask = (text) => expressions.reduce((value, expression) => value.replace(expression, MASK), text);
  return {
    outputs: result.outputs.map((output) => ("text" in output
      ? { text: mask(output.text) }
      : { table: [output.table[0], output.table[1].map((row) => row.map(mask)), output.table[2]] })),
    error: result.error === null ? null : mask(result.error),
  };
}

// -- HTML, as the build writes it (examples._render_output and _table) ---------------------------

function literal(doc, text, error) {
  const outer = doc.createElement("div");
  outer.className = "highlight-text notranslate" + (error ? " handbook-example-error" : "");
  const inner = doc.createElement("div");
  inner.className = "highlight";
  const pre = doc.createElement("pre");
  pre.textContent = text + "\n";  // as Pygments ends a block
  inner.append(pre);
  outer.append(inner);
  return outer;
}

function table(doc, [columns, rows, total]) {
  const wrapper = doc.createElement("div");
  wrapper.className = "handbook-example-result docutils container";
  const scroller = doc.createElement("div");
  scroller.className = "table-wrapper handbook-example-table docutils container";
  const element = doc.createElement("table");
  element.className = "handbook-example-table docutils align-default";
  const line = (cells, tag, parity) => {
    const tr = doc.createElement("tr");
    tr.className = parity;
    for (const value of cells) {
      const td = doc.createElement(tag);
      if (tag === "th") td.className = "head";
      const p = doc.createElement("p");
      p.textContent = value;
      td.append(p);
      tr.append(td);
    }
    return tr;
  };
  const head = doc.createElement("thead");
  head.append(line(columns, "th", "row-odd"));
  const body = doc.createElement("tbody");
  rows.forEach((row, i) => body.append(line(row, "td", i % 2 ? "row-odd" : "row-even")));
  element.append(head, body);
  scroller.append(element);
  const note = doc.createElement("p");
  note.className = "handbook-example-rowcount";
  note.textContent = `(${total} row${total !== 1 ? "s" : ""}` + (rows.length < total ? `, first ${rows.length} shown)` : ")");
  wrapper.append(scroller, note);
  return wrapper;
}

export function render(doc, result) {
  const box = doc.createElement("div");
  box.className = "handbook-example-output docutils container";
  const label = doc.createElement("p");
  label.className = "handbook-example-label";
  label.textContent = "Output";
  box.append(label);
  for (const output of result.outputs) box.append("text" in output ? literal(doc, output.text) : table(doc, output.table));
  if (result.error) box.append(literal(doc, result.error, true));
  if (!result.outputs.length && !result.error) {
    const none = doc.createElement("p");
    none.textContent = "(no output)";
    box.append(none);
  }
  return box;
}
