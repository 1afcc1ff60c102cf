// The provider plugin for the end-to-end suites: its tarball made from the
// package tarball by scripts/plugin-pack.js (once per package tarball), and
// installed into a stack's PULUMI_HOME with `pulumi plugin install`, as a
// user of another language would.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { packageTarball, pulumiBinDir, REPO_ROOT, TestStack } from "./harness";

export const PLUGIN = "tencentcloud-sg-attachment";
export const VERSION: string = require("../../package.json").version;
export const ATTACHMENT = `${PLUGIN}:index:SecurityGroupAttachment`;

/** The plugin tarball of the package tarball under test (made once, kept under .pulumi-local/e2e). */
export function pluginTarball(tarball = packageTarball()): string {
  const hash = crypto.createHash("sha256").update(fs.readFileSync(tarball)).digest("hex").slice(0, 12);
  const dir = path.join(REPO_ROOT, ".pulumi-local", "e2e", `plugin-${hash}`);
  const done = fs.existsSync(dir) && fs.readdirSync(dir).find((f) => f.endsWith(".tar.gz"));
  if (done) return path.join(dir, done);
  // Made aside and renamed: another worker may be making the same one.
  const tmp = fs.mkdtempSync(path.join(REPO_ROOT, ".pulumi-local", "e2e", "plugin-tmp-"));
  const out = execFileSync(
    process.execPath,
    [path.join(REPO_ROOT, "scripts", "plugin-pack.js"), "--from", tarball, "--out", tmp],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  ).trim();
  try {
    fs.renameSync(tmp, dir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // the other worker's is there
  }
  return path.join(dir, path.basename(out));
}

/** Fails early, saying how to get it, when a language host is missing beside the CLI. */
export function requireLanguageHost(language: string): void {
  const host = path.join(pulumiBinDir(), `pulumi-language-${language}`);
  if (!fs.existsSync(host))
    throw new Error(
      `${host} is missing: run node scripts/pulumi-cli.js --language-hosts (see docs/design.md)`,
    );
}

/** `pulumi plugin install resource tencentcloud-sg-attachment <version> --file <tarball>` in the stack's PULUMI_HOME. */
export async function installPlugin(stack: TestStack): Promise<void> {
  await stack.ok(["plugin", "install", "resource", PLUGIN, VERSION, "--file", pluginTarball()]);
}

/** A folder for a project of its own (its Pulumi.yaml is the program of a YAML project). */
export function projectFolder(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-plugin-project-"));
}
