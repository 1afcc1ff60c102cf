// The credential chain through the real CLI: stack config
// `tencentcloud:assumeRole` (set with --path, as users do) through the
// emulator's STS, with temporary keys that expire several times during one
// `pulumi up`; then the account guard refusing an `up` on the wrong account
// before any change. Every endpoint is the emulator.
import type { RunningEmulator, Seed } from "../../emulator";
import { expectOk, summary, TestStack, userProject } from "./harness";
import {
  ins,
  providerEnv,
  REGION,
  SECRET_ID,
  SECRET_KEY,
  seedWorld,
  stackConfig,
  stackSecrets,
} from "./world";
import { startEmulator } from "../../emulator";

jest.setTimeout(900_000);

const BASE_ACCOUNT = "100000000001";
const ROLE_ACCOUNT = "200000000002";
const ROLE_ARN = `qcs::cam::uin/${ROLE_ACCOUNT}:roleName/deployer`;
const GROUPS = ["sg-aaaa0001", "sg-bbbb0002", "sg-cccc0003"];
/** Short enough that one `up` outlives several keys. */
const TOKEN_LIFETIME_S = 2;

function seed(): Seed {
  const s = seedWorld(6, GROUPS);
  s.credentials[0].accountId = BASE_ACCOUNT;
  s.roles = [{ arn: ROLE_ARN }];
  return s;
}

/** Three attachments one after another: the `up` lasts several token lifetimes. */
const chained = GROUPS.map((g, i) => ({
  name: `a${i}`,
  securityGroupId: g,
  instanceIds: [ins(2 * i + 1), ins(2 * i + 2)],
  dependsOnPrevious: true,
}));

describe("credentials through the real pulumi CLI", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: seed(), operationLatencyMs: 1500 });
    await emulator.control.configure({ stsTokenLifetimeSeconds: TOKEN_LIFETIME_S });
    stack = new TestStack({ projectDir: userProject(), env: providerEnv(emulator) });
    await stack.init(stackConfig, stackSecrets);
    await stack.ok(["config", "set", "--path", "tencentcloud:assumeRole.roleArn", ROLE_ARN]);
    await stack.ok(["config", "set", "--path", "tencentcloud:assumeRole.sessionName", "pulumi-e2e"]);
  });
  afterAll(async () => {
    await stack?.cleanup();
    await emulator?.stop();
  });

  it("assumes the role and renews its keys while one `up` outlives them", async () => {
    await stack.setSpec({ attachments: chained });
    const up = expectOk(await stack.up());
    expect(summary(up.all)).toMatchObject({ created: 4 });
    const b = await emulator.control.bindings(REGION);
    GROUPS.forEach((g, i) => {
      expect(b[ins(2 * i + 1)]).toContain(g);
      expect(b[ins(2 * i + 2)]).toContain(g);
    });

    const calls = await emulator.control.calls();
    const assumed = calls.filter((c) => c.action === "AssumeRole");
    const cvm = calls.filter((c) => c.action !== "AssumeRole" && c.action !== "GetCallerIdentity");
    // The `up` took longer than several lifetimes, so the keys were renewed mid-way.
    expect(calls[calls.length - 1].at - calls[0].at).toBeGreaterThan(2 * TOKEN_LIFETIME_S * 1000);
    expect(assumed.length).toBeGreaterThanOrEqual(2);
    expect(assumed.every((c) => c.secretId === SECRET_ID && !c.errorCode)).toBe(true);
    expect(cvm.every((c) => c.secretId.startsWith("AKIDTMP"))).toBe(true);
    expect(new Set(cvm.map((c) => c.secretId)).size).toBeGreaterThanOrEqual(2);
    expect(cvm.filter((c) => c.errorCode === "AuthFailure.TokenFailure")).toEqual([]);

    await stack.exportState();
    expect(stack.lastExportText).not.toContain(SECRET_KEY);
    expect(stack.stateFilesText()).not.toContain(SECRET_KEY);
    expect(up.all).not.toContain(SECRET_KEY);
  });

  it("the account guard refuses the wrong account before any change, naming both", async () => {
    const before = await emulator.control.bindings(REGION);
    const seq = (await emulator.control.calls()).length;
    await stack.ok(["config", "set", "--path", "tencentcloud:allowedAccountIds[0]", BASE_ACCOUNT]);
    await stack.setSpec({
      attachments: chained.map((a) => ({ ...a, instanceIds: [...a.instanceIds, ins(6)] })),
    });
    const up = await stack.up();
    expect(up.code).not.toBe(0);
    expect(up.all).toContain(ROLE_ACCOUNT);
    expect(up.all).toContain(BASE_ACCOUNT);
    expect(up.all).toMatch(/Nothing was changed/);
    expect(await emulator.control.bindings(REGION)).toEqual(before);
    const after = (await emulator.control.calls()).slice(seq);
    expect(after.filter((c) => /^(Associate|Disassociate)/.test(c.action))).toEqual([]);
    expect(after.filter((c) => c.action === "GetCallerIdentity")).toHaveLength(1);

    // The right account. (destroy runs with the provider config of the last
    // `up`, so an `up` records the new list first.) Destroy then unbinds
    // everything the stack made.
    await stack.ok(["config", "set", "--path", "tencentcloud:allowedAccountIds[0]", ROLE_ACCOUNT]);
    await stack.setSpec({ attachments: chained });
    expectOk(await stack.up());
    expectOk(await stack.destroy());
    const end = await emulator.control.bindings(REGION);
    for (const ids of Object.values(end)) for (const g of GROUPS) expect(ids).not.toContain(g);
  });
});
