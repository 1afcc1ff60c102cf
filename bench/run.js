// `npm run bench [-- --quick] [-- --large] [-- --only a,c] [-- --parallel default,64]
//                [-- --providers ours,naive,baseline,trivial] [-- --out file] [-- --timeout-scale 2]
//                [-- --dump-calls] [-- --resume] [-- --record] [-- --report]`
//
// Drives the real `pulumi` CLI against the embedded CVM emulator (10 requests/s
// per action, 1–3 s OPERATING per Associate/Disassociate) for the scenarios of
// bench/scenarios.js, each at the engine's default parallelism and at
// --parallel 64, with three providers:
//   ours      this package's SecurityGroupAttachment
//   naive     a tutorial-style dynamic provider (bench/fixture/index.ts)
//   baseline  ours with the emulator's limits off and zero latency
//   plugin    ours served by the provider plugin (tencentcloud-sg-attachment,
//             installed from `npm run plugin:pack`'s tarball) instead of the
//             dynamic-provider host
// plus the memory baseline: the dynamic-provider host running a trivial
// provider with the same number of resources. Prints a table and the goals and
// writes the run to .pulumi-local/bench/results.json (ignored by git); only
// --record also copies it to bench/results.json, the recorded run behind the
// table of bench/README.md.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { execFileSync } = require("child_process");

const { parseArgs, selected, usage } = require("./args");
const floor = require("./floor");
const { evaluateGoals } = require("./goals");
const { OPERATIONS, makeMemoryRecord, makeRecord, validateRecord } = require("./records");
const { formatComparison, formatGoals, formatPluginComparison, formatTable } = require("./report");
const { tallyCalls, userErrorsOf } = require("./tally");
const { scenarioList, specFor, CREDENTIAL } = require("./scenarios");
const { RssWatcher, killMarked, MARKER_VAR } = require("./procwatch");

const ROOT = path.resolve(__dirname, "..");
const FIXTURE = path.join(__dirname, "fixture");
/** The run behind bench/README.md's table: replaced only with --record. */
const RECORDED = path.join(__dirname, "results.json");
/** Every run goes here (or to --out). */
const DEFAULT_OUT = path.join(ROOT, ".pulumi-local", "bench", "results.json");

// 10 requests/s for Associate/Disassociate (documented); DescribeInstances'
// limit is unconfirmed: the emulator's defaults (40/s, others 20/s) stand.
// Every key is set each time: the emulator merges rate limits key by key.
const REALISTIC = {
  operationLatencyMs: { min: 1000, max: 3000 },
  rateLimits: { AssociateSecurityGroups: 10, DisassociateSecurityGroups: 10, DescribeInstances: 40, "*": 20 },
};
const UNLIMITED = 1_000_000;
const PLUGIN_VERSION = require("../package.json").version;
/** In the provider plugin's command line (the launcher runs `node …/dist/provider/plugin/main.js`). */
const PLUGIN_PROCESS = "provider/plugin/main.js";
const FAST = {
  operationLatencyMs: 0,
  rateLimits: {
    AssociateSecurityGroups: UNLIMITED,
    DisassociateSecurityGroups: UNLIMITED,
    DescribeInstances: UNLIMITED,
    "*": UNLIMITED,
  },
};

/** Every marker of a run started so far: on exit, anything still carrying one is killed. */
const markers = new Set();
/** Temp folders (backend, PULUMI_HOME) of stacks in use: removed on a signal. */
const tempDirs = new Set();

function log(msg) {
  process.stderr.write(`[bench] ${msg}\n`);
}

/**
 * `npm run build` + `npm pack` into .pulumi-local/bench/pack (not the e2e
 * suites' folder: they may be packing and installing at the same time).
 */
function packTarball(localDir) {
  const out = path.join(localDir, "bench", "pack");
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
  const name = execFileSync("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", out], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop();
  return path.join(out, name);
}

/**
 * The bench Pulumi project: bench/fixture plus the package installed from its
 * tarball exactly as the e2e user project is (harness.installTarball), in a
 * folder of its own keyed by tarball and fixture content.
 */
function prepareBenchProject(harness, tarball, localDir) {
  const files = fs.readdirSync(FIXTURE).sort();
  const hash = crypto.createHash("sha256");
  hash.update(fs.readFileSync(tarball));
  for (const f of files) hash.update(f).update(fs.readFileSync(path.join(FIXTURE, f)));
  const dir = path.join(localDir, "bench", `project-${hash.digest("hex").slice(0, 12)}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of files) fs.copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
  if (!fs.existsSync(path.join(dir, ".installed"))) {
    log(`installing ${path.basename(tarball)} into ${dir}`);
    harness.installTarball(dir, tarball);
    fs.writeFileSync(path.join(dir, ".installed"), tarball);
  }
  return dir;
}

function readLines(file) {
  try {
    return fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Our provider's stats (JSON lines {at, event, stats} from SGATTACH_STATS_FILE,
 * cumulative per process): the last line of each pid, summed.
 */
function providerStats(file) {
  const lastByPid = new Map();
  for (const line of readLines(file)) {
    try {
      const j = JSON.parse(line);
      if (j && j.stats) lastByPid.set(j.stats.pid, j.stats);
    } catch {
      /* a torn line */
    }
  }
  const out = { retries: 0, throttled: 0, busy: 0, requests: {}, processes: lastByPid.size };
  for (const s of lastByPid.values()) {
    out.retries += s.retries ?? 0;
    out.throttled += s.throttled ?? 0;
    out.busy += s.busy ?? 0;
    for (const [a, n] of Object.entries(s.requests ?? {})) out.requests[a] = (out.requests[a] ?? 0) + n;
  }
  return out;
}

/**
 * Bound of one `up`/`destroy`: generous, since the engine's own cost grows
 * with the resource count (1,000 trivial resources take minutes on 2 CPUs).
 */
function timeoutMsFor(floorSeconds, resources, scale) {
  return Math.round((240 + 4 * floorSeconds + resources) * 1000 * scale);
}

/** Pairs as `up` leaves them: `pairs` bound, `removedPairs` (a membership's foreign holders) unbound. */
async function bindingPairsAsUpLeaves(control, scenario) {
  const bindings = await control.bindings(scenario.region);
  const holds = ([ins, sg]) => (bindings[ins] ?? []).includes(sg);
  const removed = scenario.removedPairs ?? [];
  return {
    present: scenario.pairs.filter(holds).length,
    removed: removed.filter((p) => !holds(p)).length,
    expected: scenario.pairs.length + removed.length,
  };
}

/**
 * One provider on one scenario at one parallelism: fresh emulator world,
 * fresh stack on a temp backend, `up` then `destroy`, each measured.
 */
async function runOne(ctx, scenario, parallelSetting, provider) {
  const { emulator, harness, benchDir, opts, defaultParallel, pluginTarball } = ctx;
  const control = emulator.control;
  const parallel = parallelSetting === "default" ? defaultParallel : parseInt(parallelSetting, 10);
  const parallelArgs = parallelSetting === "default" ? [] : ["--parallel", String(parallel)];
  const floorSeconds = floor.floorSeconds({
    attachments: scenario.attachments,
    parallel,
    maxOpsPerInstance: scenario.maxOpsPerInstance,
  });
  const timeoutMs = timeoutMsFor(floorSeconds, scenario.resources, opts.timeoutScale);
  const marker = crypto.randomBytes(6).toString("hex");
  markers.add(marker);

  await control.reset(scenario.seed);
  await control.clearFaults();
  await control.configure(provider === "baseline" || provider === "trivial" ? FAST : REALISTIC);

  const stack = new harness.TestStack({
    projectDir: benchDir,
    env: {
      [MARKER_VAR]: marker,
      TENCENTCLOUD_CVM_ENDPOINT: emulator.url,
      TENCENTCLOUD_SKIP_CVM_ROLE: "true",
      TENCENTCLOUD_SECRET_ID: CREDENTIAL.secretId,
      TENCENTCLOUD_SECRET_KEY: CREDENTIAL.secretKey,
      TENCENTCLOUD_REGION: scenario.region,
      // Same for every provider; saves a type-check of the program per run.
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    },
  });
  const tmp = path.dirname(stack.stateDir);
  tempDirs.add(tmp);
  const records = [];
  let destroyed = false;
  let upTimedOut = false;
  try {
    if (provider === "plugin")
      await stack.ok([
        "plugin",
        "install",
        "resource",
        "tencentcloud-sg-attachment",
        PLUGIN_VERSION,
        "--file",
        pluginTarball,
      ]);
    await stack.init();
    await stack.setSpec(specFor(scenario, provider));
    for (const operation of OPERATIONS) {
      const statsFile = path.join(tmp, `stats-${operation}.jsonl`);
      const naiveFile = path.join(tmp, `naive-${operation}.txt`);
      const seqBefore = maxSeq(await control.calls());
      const watcher = new RssWatcher(marker, provider === "plugin" ? { match: PLUGIN_PROCESS } : {}).start();
      const t0 = process.hrtime.bigint();
      const t0Ms = Date.now();
      const r = await stack.run(
        [operation, "--yes", "--skip-preview", "--non-interactive", "--color", "never", ...parallelArgs],
        { timeoutMs, env: { SGATTACH_STATS_FILE: statsFile, BENCH_NAIVE_STATS_FILE: naiveFile } },
      );
      const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const rss = watcher.stop();
      const timedOut = r.all.includes("[harness] killed after");
      const leftovers = killMarked(marker);
      if (leftovers.length)
        log(
          `killed ${leftovers.length} leftover process(es) of the run: ${leftovers.map((k) => k.cmd).join("; ")}`,
        );
      await control.waitIdle();
      const calls = (await control.calls(seqBefore)).filter((c) => c.seq > seqBefore);
      const tally = tallyCalls(calls);
      if (opts.dumpCalls) {
        const dir = path.join(ctx.localDir, "bench", "calls");
        fs.mkdirSync(dir, { recursive: true });
        const file = path.join(dir, `${scenario.name}-p${parallel}-${provider}-${operation}.json`);
        fs.writeFileSync(file, JSON.stringify({ t0: t0Ms, output: r.all, calls }, null, 1));
        if (fs.existsSync(statsFile)) fs.copyFileSync(statsFile, file.replace(/\.json$/, ".stats.jsonl"));
      }
      const errs = userErrorsOf(r.all);
      if (r.code !== 0 && errs.count === 0 && !timedOut) {
        // A failure with no error diagnostic: keep the tail of the output.
        errs.samples = [r.all.trim().split("\n").slice(-3).join(" / ").slice(0, 240)];
      }

      if (provider === "trivial") {
        records.push(
          makeMemoryRecord({
            scenario: scenario.name,
            parallel,
            operation,
            resources: scenario.resources,
            wallSeconds,
            peakRssMb: rss.peakMb,
            providerCpuSeconds: rss.cpuSeconds,
            userErrors: errs.count,
            exitCode: r.code,
            loadAvg: round1(os.loadavg()[0]),
          }),
        );
      } else {
        const pairs = await bindingPairsAsUpLeaves(control, scenario);
        const retries =
          provider === "naive"
            ? readLines(naiveFile).filter((l) => l === "retry").length
            : providerStats(statsFile).retries;
        records.push(
          makeRecord({
            scenario: scenario.name,
            parallel,
            provider,
            operation,
            wallSeconds,
            requests: tally.requests,
            throttled: tally.throttled,
            busy: tally.busy,
            batches: tally.batches,
            apiErrors: tally.errors,
            retries,
            userErrors: errs.count,
            peakRssMb: rss.peakMb,
            providerCpuSeconds: rss.cpuSeconds,
            floorSeconds,
            exitCode: r.code,
            timedOut,
            bindingsExpected: pairs.expected,
            // After destroy, nothing of the scenario holds its group any more.
            bindingsOk:
              operation === "up"
                ? pairs.present + pairs.removed
                : scenario.pairs.length - pairs.present + pairs.removed,
            errorSamples: errs.samples,
            userThrottleBusyErrors: errs.throttleOrBusy,
            loadAvg: round1(os.loadavg()[0]),
          }),
        );
      }
      const rec = records[records.length - 1];
      log(
        `${scenario.name} p${parallel} ${provider} ${operation}: ${rec.wallSeconds} s` +
          (rec.requests
            ? `, requests ${JSON.stringify(rec.requests)}, batches ${JSON.stringify(rec.batches)}, throttled ${rec.throttled}, busy ${rec.busy}, retries ${rec.retries}`
            : "") +
          `, errors ${rec.userErrors} (exit ${r.code}${timedOut ? ", TIMED OUT" : ""}), RSS ${rss.peakMb === null ? "-" : rss.peakMb.toFixed(0)} MB, provider CPU ${rss.cpuSeconds === null ? "-" : rss.cpuSeconds.toFixed(1)} s` +
          (rec.bindingsExpected
            ? `, bindings ${rec.bindingsOk}/${rec.bindingsExpected} ${operation === "up" ? "bound" : "absent"}`
            : ""),
      );
      if (rec.userErrors || r.code !== 0) for (const s of rec.errorSamples ?? errs.samples) log(`  ${s}`);
      if (operation === "up" && timedOut) {
        upTimedOut = true;
        break;
      }
      if (operation === "destroy") destroyed = r.code === 0;
    }
  } catch (e) {
    log(`${scenario.name} p${parallel} ${provider}: ${e.message.split("\n").slice(0, 6).join("\n")}`);
  } finally {
    if (!destroyed) {
      // Unmeasured clean-up: unlock after a killed run, then destroy, bounded.
      if (upTimedOut) await stack.run(["cancel", "--yes"], { timeoutMs: 60_000 }).catch(() => undefined);
      await control.configure(FAST).catch(() => undefined);
      await stack
        .run(["destroy", "--yes", "--skip-preview", "--non-interactive", "--color", "never"], {
          timeoutMs: 300_000,
        })
        .catch(() => undefined);
      killMarked(marker);
    }
    await stack.cleanup().catch(() => undefined);
    const left = killMarked(marker);
    if (left.length) log(`killed ${left.length} leftover process(es) after clean-up`);
    markers.delete(marker);
    fs.rmSync(tmp, { recursive: true, force: true });
    tempDirs.delete(tmp);
    await control.waitIdle().catch(() => undefined);
  }
  return records;
}

function round1(x) {
  return Math.round(x * 10) / 10;
}

function maxSeq(calls) {
  let m = 0;
  for (const c of calls) if (c.seq > m) m = c.seq;
  return m;
}

function writeResults(file, records) {
  const tmp = `${file}.tmp`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(tmp, JSON.stringify(records, null, 2) + "\n");
  fs.renameSync(tmp, file);
}

function machineInfo(binDir) {
  let pulumiVersion = "?";
  try {
    pulumiVersion = execFileSync(path.join(binDir, "pulumi"), ["version"], {
      encoding: "utf8",
      env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
      timeout: 30_000,
    }).trim();
  } catch {
    /* keep "?" */
  }
  return {
    cpus: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    memGb: Math.round(os.totalmem() / 2 ** 30),
    loadavg: os.loadavg().map((x) => x.toFixed(2)),
    node: process.version,
    pulumi: pulumiVersion,
  };
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`${e.message}\n${usage()}`);
    process.exit(2);
  }
  if (opts.help) {
    console.log(usage());
    return;
  }
  if (opts.report) {
    const file = opts.out ? path.resolve(opts.out) : RECORDED;
    const records = JSON.parse(fs.readFileSync(file, "utf8"));
    console.log(formatComparison(records));
    const pluginTable = formatPluginComparison(records);
    if (pluginTable) console.log(`\n## The provider plugin beside the dynamic resource\n\n${pluginTable}`);
    console.log("\n## Goals (reported, not asserted)\n");
    console.log(formatGoals(evaluateGoals(records, { parallel64: 64 })));
    return;
  }
  if (process.platform !== "linux") throw new Error("the benchmark reads /proc: Linux only");
  // The engine's own default parallelism must not be overridden from outside.
  delete process.env.PULUMI_PARALLEL;
  for (const k of ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"]) delete process.env[k];

  require("ts-node").register({ transpileOnly: true, compilerOptions: { module: "commonjs" } });
  const harness = require(path.join(ROOT, "test", "e2e", "harness.ts"));
  const cli = require(path.join(ROOT, "scripts", "pulumi-cli.js"));

  const binDir = harness.pulumiBinDir();
  process.env.SGATTACH_PULUMI_BIN_DIR = binDir;
  const tarball = process.env.SGATTACH_TARBALL || packTarball(cli.LOCAL_DIR);
  const benchDir = prepareBenchProject(harness, tarball, cli.LOCAL_DIR);
  const providers = opts.providers ?? ["ours", "naive", "baseline", "trivial"];
  const pluginTarball = providers.includes("plugin")
    ? require(path.join(ROOT, "test", "e2e", "plugin.ts")).pluginTarball(tarball)
    : undefined;
  const { startEmulator } = require(path.join(ROOT, "dist", "emulator", "index.js"));

  const machine = machineInfo(binDir);
  const defaultParallel = floor.defaultParallelism(machine.cpus);
  const scenarios = scenarioList(opts).filter((s) => selected(s.name, opts.only));
  const parallels = opts.parallel ?? ["default", "64"];
  const out = opts.out ? path.resolve(opts.out) : DEFAULT_OUT;
  log(
    `machine: ${machine.cpus} CPUs, ${machine.memGb} GB, load ${machine.loadavg.join(" ")}, node ${machine.node}, pulumi ${machine.pulumi}`,
  );
  log(
    `scenarios: ${scenarios.map((s) => s.name).join(", ")}; parallel: ${parallels.join(", ")} (default = ${defaultParallel}); providers: ${providers.join(", ")}`,
  );
  const tarballSha = crypto.createHash("sha256").update(fs.readFileSync(tarball)).digest("hex").slice(0, 12);
  log(`project: ${benchDir} (package tarball sha256 ${tarballSha})`);

  const emulator = await startEmulator({ port: 0, seed: scenarios[0]?.seed, ...REALISTIC });
  log(`emulator: ${emulator.url}`);
  const ctx = { emulator, harness, benchDir, opts, defaultParallel, localDir: cli.LOCAL_DIR, pluginTarball };
  const records = [];
  if (opts.resume && fs.existsSync(out)) {
    records.push(...JSON.parse(fs.readFileSync(out, "utf8")));
    log(`resuming: ${records.length} records from ${out}`);
  }
  const done = (scenario, parallel, provider) =>
    records.some((r) => r.scenario === scenario && r.parallel === parallel && r.provider === provider);
  const started = Date.now();
  let interrupted = false;
  const onSignal = (sig) => {
    interrupted = true;
    log(`${sig}: stopping`);
    for (const m of markers) killMarked(m);
    for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
    emulator.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    for (const scenario of scenarios) {
      for (const p of parallels) {
        for (const provider of providers) {
          if (interrupted) return;
          // The naive provider has no membership.
          if (scenario.membership && provider === "naive") continue;
          if (done(scenario.name, p === "default" ? defaultParallel : parseInt(p, 10), provider)) continue;
          records.push(...(await runOne(ctx, scenario, p, provider)));
          writeResults(out, records);
        }
      }
    }
  } finally {
    for (const m of markers) killMarked(m);
    await emulator.stop();
  }

  for (const r of records) {
    const problems = validateRecord(r);
    if (problems.length)
      log(`record ${r.scenario} ${r.provider} ${r.operation} has bad fields: ${problems.join(", ")}`);
  }
  const goals = evaluateGoals(records, { parallel64: 64 });
  console.log(
    `\n## Results (${((Date.now() - started) / 60000).toFixed(1)} min; ${machine.cpus} CPUs, ${machine.memGb} GB, ${machine.pulumi})\n`,
  );
  console.log(formatTable(records, { defaultParallel }));
  const pluginTable = formatPluginComparison(records);
  if (pluginTable) console.log(`\n## The provider plugin beside the dynamic resource\n\n${pluginTable}`);
  console.log("\n## Goals (reported, not asserted)\n");
  console.log(formatGoals(goals));
  console.log(`\nresults: ${path.relative(process.cwd(), out) || out}`);
  if (opts.record && !interrupted) {
    fs.copyFileSync(out, RECORDED);
    console.log(
      `recorded: ${path.relative(process.cwd(), RECORDED)} (the table of bench/README.md: npm run bench -- --report)`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  for (const m of markers) killMarked(m);
  process.exit(1);
});
