// Serializes the provider exactly as Pulumi does when a resource is declared,
// then loads that text in a fresh Node process (the way the dynamic-provider
// host does, with require-from-string) and drives it against the emulator.
// Needs the build (dist/), which `npm test` makes first.
import { execFile, execFileSync } from "child_process";
import { promisify } from "util";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { startEmulator, type RunningEmulator } from "../../emulator";
import * as providerStub from "../../provider/stub";

const ROOT = path.resolve(__dirname, "..", "..");
const SECRET_KEY = "stub-test-SECRET-key-4242";

describe("the serialized provider", () => {
  let emulator: RunningEmulator;
  let text: string;

  beforeAll(async () => {
    if (!fs.existsSync(path.join(ROOT, "dist", "provider", "impl", "index.js"))) {
      execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
    }
    emulator = await startEmulator({
      seed: {
        credentials: [{ secretId: "AKIDSTUBTEST0000000000000000000000", secretKey: SECRET_KEY }],
        regions: {
          "ap-guangzhou": {
            securityGroups: [{ id: "sg-stub0001" }, { id: "sg-keep0001" }],
            instances: [
              { id: "ins-stub0001", securityGroupIds: ["sg-keep0001"] },
              { id: "ins-stub0002", securityGroupIds: ["sg-keep0001"] },
            ],
          },
        },
      },
      operationLatencyMs: 30,
    });
    const serialized = await pulumi.runtime.serializeFunction(() => providerStub, { allowSecrets: true });
    text = serialized.text;
  });
  afterAll(async () => emulator?.stop());

  it("is a small stub that captures no implementation and no secrets", () => {
    // Here the package is not under node_modules, so the serializer copies the
    // stub by value (installed, it stores a require: test/e2e/upgrade.test.ts).
    // Stored twice per resource and rewritten with the checkpoint at every step: keep it small.
    expect(text.length).toBeLessThan(2600);
    expect(text).toContain("pulumi-tencentcloud-sg-attachment/implementation");
    expect(text).not.toMatch(/AssociateSecurityGroups|secretKey|TENCENTCLOUD_SECRET/);
  });

  let work = "";
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  it("runs check, create, read, diff and delete in a fresh process", async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-stub-"));
    // The child's home and PULUMI_HOME (so its crash-recovery journal) are in `work`: never the user's ~.
    const home = path.join(work, "home");
    const pulumiHome = path.join(work, "pulumi-home");
    fs.mkdirSync(home);
    // A leftover the journal sweep removes: gone afterwards shows the child swept this folder, not ~'s.
    const journalDir = path.join(pulumiHome, "tencentcloud-sg-attachment", "journal");
    fs.mkdirSync(journalDir, { recursive: true });
    const leftover = path.join(journalDir, "earlier-format.json.tmp");
    fs.writeFileSync(leftover, "{}");
    const textFile = path.join(work, "provider.js");
    fs.writeFileSync(textFile, text);
    const driver = `
      const requireFromString = require(require.resolve("require-from-string", { paths: [require.resolve("@pulumi/pulumi")] }));
      const provider = requireFromString(require("fs").readFileSync(${JSON.stringify(textFile)}, "utf8")).handler();
      (async () => {
        await provider.configure({ config: { get: () => undefined } });
        const inputs = { securityGroupId: "sg-stub0001", instanceIds: ["ins-stub0002", "ins-stub0001"], region: "ap-guangzhou" };
        const checked = await provider.check({}, inputs);
        const created = await provider.create(checked.inputs);
        const read = await provider.read(created.id, created.outs);
        const diff = await provider.diff(created.id, created.outs, { ...inputs, instanceIds: ["ins-stub0001", "ins-stub0002"] });
        await provider.delete(created.id, read.props);
        let badCheck = await provider.check({}, { securityGroupId: "sg-BAD", instanceIds: [] });
        console.log(JSON.stringify({ checked, created, read, diff, badCheck }));
      })().catch((e) => { console.error(String(e && e.message || e)); process.exit(1); });
    `;
    // Asynchronously: the emulator runs in this process and must keep answering.
    const { stdout: out } = await promisify(execFile)(process.execPath, ["-e", driver], {
      cwd: ROOT, // the host starts in the program's folder; here that is this package (self-reference)
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        HOME: home,
        PULUMI_HOME: pulumiHome,
        TENCENTCLOUD_SECRET_ID: "AKIDSTUBTEST0000000000000000000000",
        TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
        TENCENTCLOUD_CVM_ENDPOINT: emulator.url,
        TENCENTCLOUD_SKIP_CVM_ROLE: "true",
      },
    });
    expect(out).not.toContain(SECRET_KEY);
    // The journal is the one under the PULUMI_HOME given, and nothing was written to the home given.
    expect(fs.existsSync(leftover)).toBe(false);
    expect(fs.readdirSync(home)).toEqual([]);
    const r = JSON.parse(out.trim().split("\n").pop()!);
    expect(r.checked.failures ?? []).toEqual([]);
    expect(r.created.outs.instanceIds).toEqual(["ins-stub0001", "ins-stub0002"]);
    expect(r.read.props.instanceIds).toEqual(["ins-stub0001", "ins-stub0002"]);
    expect(r.diff.changes).toBe(false);
    const badProps = (r.badCheck.failures as { property: string }[]).map((f) => f.property).sort();
    expect(badProps).toEqual(expect.arrayContaining(["instanceIds", "securityGroupId"]));
    // After delete the world is as seeded, the unmanaged group untouched.
    expect(await emulator.control.bindings("ap-guangzhou")).toEqual({
      "ins-stub0001": ["sg-keep0001"],
      "ins-stub0002": ["sg-keep0001"],
    });
    const associates = (await emulator.control.calls()).filter((c) => c.action === "AssociateSecurityGroups");
    expect(associates).toHaveLength(1); // both instances in one request
  });
});
