// The emulator command of the installed package: `npx tencentcloud-cvm-emulator`
// in a project that installed the packed tarball. --help (through npx) lists the options;
// a start prints the environment lines, and the official SDK, configured
// from exactly those lines, is answered.
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as net from "net";
import * as path from "path";

import { userProject } from "./harness";

jest.setTimeout(300_000);

const BIN = "tencentcloud-cvm-emulator";
/** Whether this machine lets a user make a network namespace (Linux with user namespaces allowed). */
const NETNS = spawnSync("unshare", ["-rn", "true"]).status === 0;

/** Starts the command, after `wrap` (a command that execs the rest, e.g. unshare) when given. */
function start(
  dir: string,
  args: string[],
  wrap: string[] = [],
): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  // The link npm made for the `bin` entry (what npx runs), started directly so that signals reach it.
  const cmd = [...wrap, path.join(dir, "node_modules", ".bin", BIN), ...args];
  const child = spawn(cmd[0], cmd.slice(1), {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out: () => out, exit };
}

/** Resolves once `out()` matches `re`; rejects, with the output so far, when the process exits first or after 60 s. */
function waitFor(re: RegExp, p: ReturnType<typeof start>): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${re} within 60 s:\n${p.out()}`)), 60_000);
    const check = () => {
      const m = re.exec(p.out());
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
      return m;
    };
    if (check()) return;
    p.child.stdout!.on("data", check);
    p.child.stderr!.on("data", check);
    void p.exit.then(() => {
      if (check()) return;
      clearTimeout(timer);
      reject(new Error(`exited before ${re}:\n${p.out()}`));
    });
  });
}

describe("the emulator command of the installed package", () => {
  let dir: string;
  beforeAll(() => {
    dir = userProject();
  });

  it("--help lists every option", () => {
    const r = spawnSync("npx", ["--no-install", BIN, "--help"], { cwd: dir, encoding: "utf8" });
    expect(r.status).toBe(0);
    for (const flag of [
      "--host",
      "--port",
      "--seed",
      "--state",
      "--latency-ms",
      "--rate",
      "--quiet",
      "--help",
    ])
      expect(r.stdout).toContain(flag);
    expect(r.stdout).toMatch(/--port N\s+port \(default 18080/);
  });

  it("prints the environment lines, and the official SDK set up from them is answered", async () => {
    const p = start(dir, ["--port", "0", "--quiet"]);
    try {
      await waitFor(/TENCENTCLOUD_REGION=\S+\n/, p);
      const env: Record<string, string> = {};
      for (const m of p.out().matchAll(/^\s*export (\w+)=(\S+)$/gm)) env[m[1]] = m[2];
      expect(Object.keys(env).sort()).toEqual([
        "TENCENTCLOUD_CVM_ENDPOINT",
        "TENCENTCLOUD_REGION",
        "TENCENTCLOUD_SECRET_ID",
        "TENCENTCLOUD_SECRET_KEY",
      ]);
      // The SDK the installed package depends on, with the printed values.
      const { cvm } = require(require.resolve("tencentcloud-sdk-nodejs-cvm", { paths: [dir] }));
      const client = new cvm.v20170312.Client({
        credential: { secretId: env.TENCENTCLOUD_SECRET_ID, secretKey: env.TENCENTCLOUD_SECRET_KEY },
        region: env.TENCENTCLOUD_REGION,
        profile: {
          httpProfile: { endpoint: new URL(env.TENCENTCLOUD_CVM_ENDPOINT).host, protocol: "http://" },
        },
      });
      expect((await client.DescribeInstances({})).TotalCount).toBe(6); // the demo seed
      p.child.kill("SIGTERM");
      expect(await p.exit).toBe(0);
    } finally {
      if (p.child.exitCode === null) p.child.kill("SIGKILL");
    }
  });

  // Where namespaces are not allowed, the next test still shows the default is 18080 (it fails naming it).
  (NETNS ? it : it.skip)(
    "listens on 18080 by default: in a network namespace of its own, where that port is surely free",
    async () => {
      // A fresh network namespace (unshare -rn) has its own loopback: no other process holds 18080 there.
      const p = start(dir, ["--quiet"], ["unshare", "-rn"]);
      try {
        await waitFor(/listening on http:\/\/127\.0\.0\.1:18080\n/, p);
        // (A clean stop on SIGTERM is the previous test's; here only the port matters.)
      } finally {
        if (p.child.exitCode === null) p.child.kill("SIGKILL");
        await p.exit;
      }
    },
  );

  it("without --port, 18080 taken: fails naming the port and how to choose another", async () => {
    // The test holds 18080 (or another process already does): taken either way, for the whole start.
    const holder = net.createServer();
    const held = await new Promise<boolean>((resolve) => {
      holder.once("error", () => resolve(false));
      holder.listen(18080, "127.0.0.1", () => resolve(true));
    });
    const p = start(dir, ["--quiet"]);
    try {
      if (!held) {
        // Someone else's 18080: it may be released meanwhile, and then the start succeeds, on 18080.
        const m = await waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)\n|EADDRINUSE.*:(\d+)/, p);
        expect(m[1] ?? m[2]).toBe("18080");
        return;
      }
      const m = await waitFor(/emulator failed to start: (.*)\n|listening on (http\S+)\n/, p);
      expect(m[1]).toMatch(/EADDRINUSE.*127\.0\.0\.1:18080 \(choose another with --port N\)/);
      expect(await p.exit).toBe(1);
    } finally {
      if (p.child.exitCode === null) p.child.kill("SIGKILL");
      await new Promise((resolve) => (held ? holder.close(resolve) : resolve(undefined)));
    }
  });
});
