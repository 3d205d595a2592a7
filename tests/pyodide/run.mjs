// Run Python files in Pyodide under Node, with wheels installed by micropip as in xlwings
// Lite (dependencies resolved: for our wheel every one is marked away in Pyodide, so nothing
// is fetched and this works offline; a fetch fails the run).
//
//   node run.mjs PYODIDE_DIR MICROPIP_WHEEL FORMATS.json WHEELS(comma-separated) SCRIPT.py...
//
// FORMATS.json ({"Sheet": {"B2": "0.00%", ...}}) answers what xlwings Lite's Office.js client
// answers on demand: `xlwings.getRangeData(sheet, address, ["number_format"])`.
// Prints what the scripts print.
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const fetched = [];
globalThis.fetch = async (url) => { fetched.push(String(url)); throw new Error(`no network: ${url}`); };

const [pyodideDir, micropipWheel, formatsFile, wheelList, ...scripts] = process.argv.slice(2);
const formats = JSON.parse(readFileSync(formatsFile, "utf8"));

function cells(address) {  // "$B$2:$C$5" -> [[sheetRow, col], ...] 1-based
  const toRC = (a) => {
    const m = /^\$?([A-Z]+)\$?(\d+)$/.exec(a);
    let col = 0;
    for (const ch of m[1]) col = col * 26 + ch.charCodeAt(0) - 64;
    return [Number(m[2]), col];
  };
  const [first, last = first] = address.split(":");
  const [r1, c1] = toRC(first), [r2, c2] = toRC(last);
  const out = [];
  for (let r = r1; r <= r2; r++) for (let c = c1; c <= c2; c++) out.push([r, c]);
  return out;
}

function letters(col) {
  let s = "";
  while (col) { const rem = (col - 1) % 26; s = String.fromCharCode(65 + rem) + s; col = Math.floor((col - 1) / 26); }
  return s;
}

// The Office.js client's on-demand reads, as far as a press uses them.
globalThis.xlwings = {
  async getRangeData(sheet, address, keys) {
    const wanted = keys.toJs ? keys.toJs() : keys;
    const answer = {};
    for (const key of wanted) {
      if (key !== "number_format") throw new Error(`getRangeData: ${key} is not served here`);
      const found = new Set(cells(address).map(([r, c]) => (formats[sheet] || {})[`${letters(c)}${r}`] || "General"));
      answer[key] = found.size === 1 ? [...found][0] : null;
    }
    return answer;
  },
};

const { loadPyodide } = await import(pathToFileURL(`${resolve(pyodideDir)}/pyodide.mjs`).href);
const pyodide = await loadPyodide({ indexURL: `${resolve(pyodideDir)}/`, stdout: (s) => console.log(s),
                                    stderr: (s) => console.error(s) });
await pyodide.loadPackage(resolve(micropipWheel), { messageCallback: () => {} });
for (const file of wheelList.split(",").filter(Boolean)) {
  const wheel = `/tmp/${basename(file)}`;
  pyodide.FS.writeFile(wheel, readFileSync(resolve(file)));
  await pyodide.runPythonAsync(`
import micropip
await micropip.install("emfs:${wheel}", deps=True)
`);
}
if (fetched.length) {
  console.error(`installing the wheels tried to fetch: ${fetched.join(", ")}`);
  process.exit(3);
}
for (const script of scripts) {
  await pyodide.runPythonAsync(readFileSync(resolve(script), "utf8"));
}
