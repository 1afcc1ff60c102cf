// Drives the real `pulumi` CLI for the end-to-end suites: a Pulumi project on
// disk that installs this package from its `npm pack` tarball (as a user
// would), an isolated file:// backend and PULUMI_HOME per suite, and the
// emulator's endpoint and credentials in the environment.
import { spawn, execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const cli = require("../../scripts/pulumi-cli.js");

export const REPO_ROOT: string = cli.REPO_ROOT;
const LOCAL_DIR: string = cli.LOCAL_DIR;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for assertions and secret scans. */
  all: string;
}

/** The folder with `pulumi` and its helpers (obtained once; scripts/test.js passes it in). */
export function pulumiBinDir(): string {
  return process.env.SGATTACH_PULUMI_BIN_DIR || cli.ensurePulumi();
}

/**
 * The package tarball, made once per test run by scripts/test.js
 * (SGATTACH_TARBALL); made here when a suite runs on its own.
 */
export function packageTarball(): string {
  if (process.env.SGATTACH_TARBALL && fs.existsSync(process.env.SGATTACH_TARBALL))
    return process.env.SGATTACH_TARBALL;
  const out = path.join(LOCAL_DIR, "pack");
  fs.mkdirSync(out, { recursive: true });
  execFileSync("npm", ["run", "build", "--silent"], { cwd: REPO_ROOT, stdio: "inherit" });
  const name = execFileSync("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", out], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop()!;
  return path.join(out, name);
}

const projectDirs = new Map<string, string>();

/**
 * A Pulumi project (Pulumi.yaml + TypeScript program from test/e2e/fixture)
 * whose node_modules come from `npm install <tarball>`. Installed once per
 * tarball content and reused: each suite gets its own stacks and backend.
 * Suites call this for every stack while other stacks run in the folder, so
 * the fixture files are only ever replaced whole (a copy in place truncates
 * Pulumi.yaml first, and a CLI reading it then finds no project).
 */
export function userProject(tarball = packageTarball()): string {
  const known = projectDirs.get(tarball);
  if (known) return known;
  const hash = crypto
    .createHash("sha256")
    .update(fs.readFileSync(tarball))
    .update(pulumiPeerVersion())
    .digest("hex")
    .slice(0, 12);
  const dir = path.join(LOCAL_DIR, "e2e", `project-${hash}`);
  const fixture = path.join(REPO_ROOT, "test", "e2e", "fixture");
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(fixture))
    replaceIfChanged(path.join(dir, f), fs.readFileSync(path.join(fixture, f)));
  if (!fs.existsSync(path.join(dir, ".installed"))) {
    installTarball(dir, tarball);
    fs.writeFileSync(path.join(dir, ".installed"), tarball);
  }
  projectDirs.set(tarball, dir);
  return dir;
}

/** Writes `content` to `file` by rename (never a half-written file), unless it already holds it. */
function replaceIfChanged(file: string, content: Buffer): void {
  if (fs.existsSync(file) && fs.readFileSync(file).equals(content)) return;
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

/** The @pulumi/pulumi of the user project: the dev version, or SGATTACH_E2E_PULUMI_VERSION (the compatibility run). */
function pulumiPeerVersion(): string {
  const root = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
  return process.env.SGATTACH_E2E_PULUMI_VERSION || root.devDependencies["@pulumi/pulumi"];
}

/** `npm install` of the tarball plus the peer and TypeScript toolchain, as a user project would. */
export function installTarball(dir: string, tarball: string): void {
  const root = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
  const dev = root.devDependencies;
  const pkg = {
    name: "sgattach-e2e",
    private: true,
    dependencies: {
      "pulumi-tencentcloud-sg-attachment": `file:${tarball}`,
      "@pulumi/pulumi": pulumiPeerVersion(),
      "tencentcloud-sdk-nodejs-cvm": root.dependencies["tencentcloud-sdk-nodejs-cvm"],
      "tencentcloud-sdk-nodejs-common": root.dependencies["tencentcloud-sdk-nodejs-common"],
      "tencentcloud-sdk-nodejs-sts": root.dependencies["tencentcloud-sdk-nodejs-sts"],
      typescript: dev.typescript,
      "ts-node": dev["ts-node"],
      "@types/node": dev["@types/node"],
    },
  };
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2));
  execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"], // npm's "added N packages" is noise; errors go to stderr
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
}

export interface RunOptions {
  timeoutMs?: number;
  env?: Record<string, string | undefined>;
  /** Written to the CLI's standard input. */
  input?: string;
}

export interface StackOptions {
  projectDir: string;
  stack?: string;
  /** Extra environment for the CLI and so for the provider process (endpoint, credentials). */
  env?: Record<string, string | undefined>;
  passphrase?: string;
}

/** One stack on its own temporary backend. */
export class TestStack {
  readonly projectDir: string;
  readonly stack: string;
  readonly stateDir: string;
  readonly homeDir: string;
  env: NodeJS.ProcessEnv;
  private readonly bin: string;
  /** Everything the CLI printed, kept for secret scans. */
  readonly transcript: string[] = [];

  constructor(opts: StackOptions) {
    this.projectDir = opts.projectDir;
    this.stack = opts.stack ?? `s${crypto.randomBytes(3).toString("hex")}`;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-e2e-"));
    this.stateDir = path.join(tmp, "state");
    this.homeDir = path.join(tmp, "home");
    this.bin = pulumiBinDir();
    // The CLI and the provider get a HOME of their own (no ~/.tccli profile, nothing of the user's ~).
    const userHome = path.join(tmp, "user-home");
    fs.mkdirSync(userHome);
    this.env = cli.pulumiEnv(this.bin, {
      stateDir: this.stateDir,
      home: this.homeDir,
      passphrase: opts.passphrase ?? "e2e-passphrase",
      extra: { HOME: userHome, PULUMI_STACK: this.stack, ...definedOnly(opts.env ?? {}) },
    });
  }

  /** Runs `pulumi <args>` in the project folder, with the stack selected. */
  run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const env = { ...this.env, ...definedOnly(opts.env ?? {}) };
    this.exported = undefined;
    this.running++;
    return runProcess(
      path.join(this.bin, "pulumi"),
      args,
      this.projectDir,
      env,
      opts.timeoutMs ?? 300_000,
      opts.input,
    ).then((r) => {
      this.running--;
      this.exported = undefined;
      this.transcript.push(`$ pulumi ${args.join(" ")}\n${r.all}`);
      return r;
    });
  }
  /** CLI runs in flight: while one is, the state may change under an export. */
  private running = 0;

  /** Like run, but throws with the CLI's output when it exits non-zero. */
  async ok(args: string[], opts: RunOptions = {}) {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}\n${r.all}`);
    return r;
  }

  async init(config: Record<string, string> = {}, secrets: Record<string, string> = {}): Promise<void> {
    await this.ok(["stack", "init", this.stack, "--non-interactive"]);
    for (const [k, v] of Object.entries(config))
      await this.ok(["config", "set", "--stack", this.stack, "--plaintext", k, v]);
    // Secrets go in on stdin: never on a command line (process lists, transcripts).
    for (const [k, v] of Object.entries(secrets))
      await this.ok(["config", "set", "--stack", this.stack, "--secret", k], { input: v });
  }

  setSpec(spec: unknown): Promise<RunResult> {
    return this.ok(["config", "set", "--stack", this.stack, "spec", JSON.stringify(spec)]);
  }

  up(extra: string[] = []) {
    return this.run(["up", "--yes", "--skip-preview", "--non-interactive", "--color", "never", ...extra]);
  }
  preview(extra: string[] = []) {
    return this.run(["preview", "--non-interactive", "--color", "never", ...extra]);
  }
  refresh(extra: string[] = []) {
    return this.run([
      "refresh",
      "--yes",
      "--skip-preview",
      "--non-interactive",
      "--color",
      "never",
      ...extra,
    ]);
  }
  destroy(extra: string[] = []) {
    return this.run([
      "destroy",
      "--yes",
      "--skip-preview",
      "--non-interactive",
      "--color",
      "never",
      ...extra,
    ]);
  }

  /**
   * `pulumi stack export` (secrets hidden) parsed. Only a CLI run changes the
   * state, so the text is reused until the next run starts (a fresh copy each time).
   */
  async exportState(): Promise<any> {
    if (this.exported === undefined) {
      const r = await this.ok(["stack", "export"]);
      if (this.running === 0) this.exported = r.stdout;
      this.lastExportText = r.stdout;
    }
    return JSON.parse(this.lastExportText);
  }
  lastExportText = "";
  /** The last export's text, while no CLI run has started since. */
  private exported: string | undefined;

  /** Resources of a given type token suffix in the exported state. */
  async resources(typeSuffix = "SecurityGroupAttachment"): Promise<any[]> {
    const st = await this.exportState();
    return (st.deployment.resources ?? []).filter((r: any) => String(r.type).endsWith(typeSuffix));
  }

  async outputs(): Promise<Record<string, any>> {
    const r = await this.ok(["stack", "output", "--json"]);
    return JSON.parse(r.stdout);
  }

  /** The raw state files of the backend, for secret scans. */
  stateFilesText(): string {
    const out: string[] = [];
    const walk = (d: string) => {
      if (!fs.existsSync(d)) return;
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else out.push(fs.readFileSync(p, "latin1"));
      }
    };
    walk(this.stateDir);
    return out.join("\n");
  }

  /**
   * Removes the backend, PULUMI_HOME and HOME (temporary folders of this stack
   * alone) and the stack's config file: what `pulumi stack rm` would, without
   * a CLI start.
   */
  async cleanup(): Promise<void> {
    fs.rmSync(path.dirname(this.stateDir), { recursive: true, force: true });
    fs.rmSync(path.join(this.projectDir, `Pulumi.${this.stack}.yaml`), { force: true });
  }
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** Spawns a process in its own group; on timeout the whole group is killed. */
export function runProcess(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  input?: string,
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd,
      env,
      detached: true,
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    if (input !== undefined) child.stdin!.end(input);
    let stdout = "";
    let stderr = "";
    let all = "";
    child.stdout!.on("data", (d) => {
      stdout += d;
      all += d;
    });
    child.stderr!.on("data", (d) => {
      stderr += d;
      all += d;
    });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
      all += `\n[harness] killed after ${timeoutMs} ms\n`;
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, all });
    });
  });
}

/** Counts from the CLI's "Resources:" summary, e.g. {created: 3, unchanged: 1}. */
export function summary(output: string): Record<string, number> {
  const out: Record<string, number> = {};
  const idx = output.lastIndexOf("Resources:");
  if (idx < 0) return out;
  const block = output.slice(idx).split("\n").slice(0, 8).join("\n");
  for (const m of block.matchAll(
    /(\d+)\s+(to create|to update|to delete|to replace|created|updated|deleted|replaced|unchanged|changes|to refresh)/g,
  )) {
    out[m[2].replace(/^to /, "to_")] = parseInt(m[1], 10);
  }
  return out;
}

/** Fails with the CLI's whole output (not just the exit code) when a run did not succeed. */
export function expectOk(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`pulumi exited ${r.code}:\n${r.all}`);
  return r;
}
