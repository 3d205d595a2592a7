// Run a Python file in Pyodide under Node, with our wheel installed by micropip as in xlwings
// Lite (dependencies resolved: in Pyodide every one of them is marked away, so nothing is
// fetched and this works offline).
//
//   node run.mjs PYODIDE_DIR MICROPIP_WHEEL DERISK_WHEEL SCRIPT.py
//
// Prints what the script prints; the script's last line is its JSON answer.
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";

// Nothing may come from the network: a dependency that micropip tried to fetch (one not marked
// away for Pyodide) fails the run, instead of being logged and skipped.
const fetched = [];
globalThis.fetch = async (url) => { fetched.push(String(url)); throw new Error(`no network: ${url}`); };

const [pyodideDir, micropipWheel, deriskWheel, script] = process.argv.slice(2).map((p) => resolve(p));
const { loadPyodide } = await import(pathToFileURL(`${pyodideDir}/pyodide.mjs`).href);
const pyodide = await loadPyodide({ indexURL: `${pyodideDir}/`, stdout: (s) => console.log(s),
                                    stderr: (s) => console.error(s) });
await pyodide.loadPackage(micropipWheel, { messageCallback: () => {} });
const wheel = `/tmp/${basename(deriskWheel)}`;
pyodide.FS.writeFile(wheel, readFileSync(deriskWheel));
await pyodide.runPythonAsync(`
import micropip
await micropip.install("emfs:${wheel}", deps=True)
`);
if (fetched.length) {
  console.error(`installing the wheel tried to fetch: ${fetched.join(", ")}`);
  process.exit(3);
}
await pyodide.runPythonAsync(readFileSync(script, "utf8"));
