import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EmulatorControl } from "../../emulator";
import { DEFAULT_PORT, environmentLines, main, parseArgs, USAGE } from "../../emulator/cli";
import { cvmClient, testSeed } from "./helpers";

const ROOT = path.join(__dirname, "..", "..");
const SCRIPT = path.join(ROOT, "scripts", "emulator.mjs");

function run(args: string[]): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [SCRIPT, ...args], {
    cwd: ROOT,
    env: { ...process.env, EMULATOR_FROM_SOURCE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d.toString()));
  child.stderr!.on("data", (d) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out: () => out, exit };
}

async function waitFor(re: RegExp, out: () => string, ms = 45_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = re.exec(out());
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; output so far:\n${out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("parseArgs understands every flag", () => {
  expect(
    parseArgs([
      "--port",
      "8080",
      "--seed=s.json",
      "--state",
      "w.json",
      "--latency-ms",
      "10-20",
      "--rate",
      "7",
      "--quiet",
      "--host",
      "0.0.0.0",
    ]),
  ).toEqual({
    port: 8080,
    seed: "s.json",
    stateFile: "w.json",
    operationLatencyMs: { min: 10, max: 20 },
    rateLimits: {
      AssociateSecurityGroups: 7,
      DisassociateSecurityGroups: 7,
      ModifyInstancesAttribute: 7,
      DescribeInstances: 7,
      "*": 7,
    },
    quiet: true,
    host: "0.0.0.0",
  });
  expect(parseArgs(["--latency-ms", "250"]).operationLatencyMs).toBe(250);
  expect(() => parseArgs(["--latency-ms", "20-10"])).toThrow(/MAX/);
  expect(() => parseArgs(["--port", "x"])).toThrow(/--port/);
  expect(() => parseArgs(["--what"])).toThrow(/unknown option/);
});

test("npm run emulator: prints the URL, serves the SDK, logs calls, stops cleanly on SIGTERM", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cvm-emu-cli-"));
  const seedFile = path.join(dir, "seed.json");
  const stateFile = path.join(dir, "state.json");
  fs.writeFileSync(seedFile, JSON.stringify(testSeed()));
  const p = run([
    "--port",
    "0",
    "--seed",
    seedFile,
    "--state",
    stateFile,
    "--latency-ms",
    "5-10",
    "--rate",
    "7",
  ]);
  try {
    const m = await waitFor(/CVM emulator listening on (http:\/\/127\.0\.0\.1:(\d+))\n/, p.out);
    const control = new EmulatorControl(m[1]);
    expect((await control.config()).rateLimits).toEqual({
      AssociateSecurityGroups: 7,
      DisassociateSecurityGroups: 7,
      ModifyInstancesAttribute: 7,
      DescribeInstances: 7,
      "*": 7,
    });
    const emuLike = { port: Number(m[2]) } as any;
    await cvmClient(emuLike).AssociateSecurityGroups({
      SecurityGroupIds: ["sg-web00001"],
      InstanceIds: ["ins-run00001"],
    });
    await control.waitIdle();
    await waitFor(/AssociateSecurityGroups ap-guangzhou AKIDTESTMAIN\S* -> OK \[200\]/, p.out);
    p.child.kill("SIGTERM");
    expect(await p.exit).toBe(0);
    const saved = JSON.parse(fs.readFileSync(stateFile, "utf8"));
    const inst = saved.regions["ap-guangzhou"].instances.find((i: any) => i.id === "ins-run00001");
    expect(inst.securityGroupIds).toEqual(["sg-base0001", "sg-web00001"]);
  } finally {
    if (p.child.exitCode === null) p.child.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test("SIGINT also stops it (default demo seed)", async () => {
  const p = run(["--port", "0", "--quiet"]);
  try {
    const m = await waitFor(/listening on (http:\S+)\n/, p.out);
    expect(Object.keys(await new EmulatorControl(m[1]).bindings("ap-guangzhou"))).toHaveLength(6);
    p.child.kill("SIGINT");
    expect(await p.exit).toBe(0);
  } finally {
    if (p.child.exitCode === null) p.child.kill("SIGKILL");
  }
}, 60_000);

test("a bad option prints usage and sets exit code 2; --help prints usage", async () => {
  const written: string[] = [];
  const spyErr = jest
    .spyOn(process.stderr, "write")
    .mockImplementation((s: any) => (written.push(String(s)), true));
  const spyOut = jest
    .spyOn(process.stdout, "write")
    .mockImplementation((s: any) => (written.push(String(s)), true));
  const saved = process.exitCode;
  try {
    expect(await main(["--bogus"])).toBeUndefined();
    expect(process.exitCode).toBe(2);
    process.exitCode = saved;
    expect(await main(["--help"])).toBeUndefined();
    expect(process.exitCode).toBe(saved);
    expect(await main(["--seed", "/nonexistent/seed.json"])).toBeUndefined();
    expect(process.exitCode).toBe(1);
  } finally {
    process.exitCode = saved;
    spyErr.mockRestore();
    spyOut.mockRestore();
  }
  const text = written.join("");
  expect(text).toContain("unknown option --bogus");
  expect(text.match(/Usage: npx tencentcloud-cvm-emulator/g)).toHaveLength(2);
  expect(text).toContain("emulator failed to start: cannot read seed file");
});

test("--help lists exactly the options parseArgs accepts, and the fixed default port", () => {
  const sample: Record<string, string[]> = {
    "--host": ["127.0.0.1"],
    "--port": ["8080"],
    "--seed": ["s.json"],
    "--state": ["w.json"],
    "--latency-ms": ["5"],
    "--rate": ["3"],
    "--quiet": [],
    "--help": [],
  };
  const listed = [...new Set(USAGE.match(/--[a-z-]+/g))].sort();
  expect(listed).toEqual(Object.keys(sample).sort());
  for (const flag of listed) expect(() => parseArgs([flag, ...sample[flag]])).not.toThrow();
  expect(USAGE).toContain(`default ${DEFAULT_PORT}`);
  expect(DEFAULT_PORT).toBe(18080);
});

test("the environment lines point the provider at the emulator with the seed's first credential and region", () => {
  const seed = testSeed();
  const cred = seed.credentials[0];
  expect(environmentLines("http://127.0.0.1:18080", seed)).toEqual([
    "export TENCENTCLOUD_CVM_ENDPOINT=http://127.0.0.1:18080",
    `export TENCENTCLOUD_SECRET_ID=${cred.secretId}`,
    `export TENCENTCLOUD_SECRET_KEY=${cred.secretKey}`,
    ...(cred.token ? [`export TENCENTCLOUD_SESSION_TOKEN=${cred.token}`] : []),
    `export TENCENTCLOUD_REGION=${Object.keys(seed.regions)[0]}`,
  ]);
});
