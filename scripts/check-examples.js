// Type-checks every project under examples/ with its own tsconfig.json,
// against the package's own published types (dist/provider/*.d.ts, built when
// missing) and this repository's node_modules: no install, no network. An
// example's `typings/*.d.ts` (stand-ins for SDKs that cannot be installed
// here) are added to its check only; its own tsconfig.json leaves them out.
// The README's program must be examples/basic/index.ts verbatim, its first
// YAML, Python and Go programs examples/yaml/Pulumi.yaml, examples/python/__main__.py
// and examples/go/main.go.
// Run by `npm test`; on its own: `node scripts/check-examples.js`.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");
const ts = require("typescript");

const ROOT = path.resolve(__dirname, "..");
const EXAMPLES = path.join(ROOT, "examples");
const OUT = path.join(ROOT, ".pulumi-local", "examples-check");
const TYPES = path.join(ROOT, "dist", "provider", "index.d.ts");

function examples() {
  return fs
    .readdirSync(EXAMPLES, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(EXAMPLES, e.name, "tsconfig.json")))
    .map((e) => e.name)
    .sort();
}

/** A tsconfig that extends the example's own and only adds where its dependencies come from. */
function checkConfig(name) {
  const dir = path.join(EXAMPLES, name);
  const typings = path.join(dir, "typings");
  const stand_ins = fs.existsSync(typings)
    ? fs
        .readdirSync(typings)
        .filter((f) => f.endsWith(".d.ts"))
        .map((f) => path.join(typings, f))
    : [];
  const own = JSON.parse(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8"));
  const files = (own.files ?? ["index.ts"]).map((f) => path.join(dir, f));
  const config = {
    extends: path.join(dir, "tsconfig.json"),
    compilerOptions: {
      noEmit: true,
      types: ["node"],
      paths: { "pulumi-tencentcloud-sg-attachment": [TYPES] },
    },
    files: [...files, ...stand_ins],
  };
  const file = path.join(OUT, `${name}.tsconfig.json`);
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

function main() {
  if (!fs.existsSync(TYPES)) {
    const r = spawnSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  fs.mkdirSync(OUT, { recursive: true });
  const names = examples();
  // One process, one cache of parsed files: the examples share @pulumi/pulumi's types.
  const parsed = new Map();
  let failed = 0;
  for (const name of names) {
    const config = ts.getParsedCommandLineOfConfigFile(
      checkConfig(name),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    );
    const host = ts.createCompilerHost(config.options);
    const read = host.getSourceFile;
    host.getSourceFile = (file, lang, ...rest) => {
      const key = `${file}|${typeof lang === "object" ? lang.languageVersion : lang}`;
      if (!parsed.has(key)) parsed.set(key, read.call(host, file, lang, ...rest));
      return parsed.get(key);
    };
    const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host });
    const diagnostics = [...config.errors, ...ts.getPreEmitDiagnostics(program)];
    if (diagnostics.length > 0) {
      failed++;
      const text = ts.formatDiagnostics(diagnostics, {
        ...host,
        getNewLine: () => "\n",
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => ROOT,
      });
      process.stderr.write(`examples/${name} does not type-check:\n${text}\n`);
    }
  }
  // The README's program is examples/basic/index.ts, so that it is checked too.
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const program = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (program !== fs.readFileSync(path.join(EXAMPLES, "basic", "index.ts"), "utf8")) {
    process.stderr.write("the first ```ts block of README.md must be examples/basic/index.ts, verbatim\n");
    failed++;
  }
  // The README's first program in each other language is that language's
  // example (run or built by test/e2e/plugin-yaml, plugin-python and sdk tests).
  for (const [lang, file] of [
    ["yaml", "yaml/Pulumi.yaml"],
    ["python", "python/__main__.py"],
    ["go", "go/main.go"],
  ]) {
    const block = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(readme)?.[1];
    if (block !== fs.readFileSync(path.join(EXAMPLES, file), "utf8")) {
      process.stderr.write(`the first \`\`\`${lang} block of README.md must be examples/${file}, verbatim\n`);
      failed++;
    }
  }
  if (names.length === 0) {
    process.stderr.write("no examples found\n");
    failed++;
  }
  if (failed === 0) console.log(`examples type-check: ${names.join(", ")}`);
  process.exit(failed ? 1 : 0);
}

main();
