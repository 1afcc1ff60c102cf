// The credential chain of the official provider, against the emulator's STS,
// metadata service and CVM API: assume-role (config, env, tccli profile), a
// named CVM role, tccli profile files in a temporary HOME, the precedence of
// the sources, and the account guard. Every endpoint is the emulator.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Seed } from "../../emulator/index";
import { implementation } from "../../provider/impl/index";
import { create, errorOf, useHarness } from "./helpers";
import { ins, makeSeed, REGION, SECRET_ID, SECRET_KEY, sg, TOKEN } from "./world";

const ACCOUNT = "100000000001";
const OTHER_ACCOUNT = "200000000002";
const ROLE_ARN = `qcs::cam::uin/${OTHER_ACCOUNT}:roleName/deployer`;
const CVM_ROLE = "instance-role";
const PROFILE_ID = "AKIDPROFILETESTKEY0000000000000000";
const PROFILE_KEY = "FAKE-PROFILE-KEY-never-print-3e7a91c5d2";
const NAMED_ID = "AKIDNAMEDPROFILE000000000000000000";
const NAMED_KEY = "FAKE-NAMED-PROFILE-KEY-never-print-8b2f";

function seed(): Seed {
  const s = makeSeed({ instances: 4, sgs: 3 });
  s.credentials.push(
    { secretId: PROFILE_ID, secretKey: PROFILE_KEY, accountId: ACCOUNT },
    { secretId: NAMED_ID, secretKey: NAMED_KEY, accountId: "300000000003" },
  );
  s.roles = [{ arn: ROLE_ARN }, { arn: `qcs::cam::uin/${ACCOUNT}:roleName/${CVM_ROLE}` }];
  return s;
}

/** Environment keys this suite sets; each test starts without them. */
const OWN_ENV = [
  "HOME",
  "TENCENTCLOUD_PROFILE",
  "TENCENTCLOUD_SHARED_CREDENTIALS_DIR",
  "TENCENTCLOUD_ASSUME_ROLE_ARN",
  "TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME",
  "TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION",
  "TENCENTCLOUD_ASSUME_ROLE_EXTERNAL_ID",
  "TENCENTCLOUD_CAM_ROLE_NAME",
];

let saved: Record<string, string | undefined>;
let home: string;

const h = useHarness({ seed: seed() });
beforeAll(async () => {
  saved = Object.fromEntries(OWN_ENV.map((k) => [k, process.env[k]]));
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
beforeEach(async () => {
  for (const k of OWN_ENV) delete process.env[k];
  Object.assign(process.env, {
    TENCENTCLOUD_SECRET_ID: SECRET_ID,
    TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
    TENCENTCLOUD_SECURITY_TOKEN: TOKEN,
  });
  home = fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-home-"));
  process.env.HOME = home;
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

function useConfig(config: Record<string, string>): Promise<void> {
  return implementation.configure({ config });
}

/** Removes the harness's env keys so that a lower source of the chain is reached. */
function withoutEnvKeys(): void {
  delete process.env.TENCENTCLOUD_SECRET_ID;
  delete process.env.TENCENTCLOUD_SECRET_KEY;
  delete process.env.TENCENTCLOUD_SECURITY_TOKEN;
}

function writeProfile(dir: string, name: string, content: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.credential`), JSON.stringify(content));
}

/** secretIds of the API calls, by action. */
async function callers(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const c of await h.emu.control.calls()) (out[c.action] ??= []).push(c.secretId);
  return out;
}

const tmp = (id: string) => id.startsWith("AKIDTMP");

describe("assume-role", () => {
  it("config tencentcloud:assumeRole: STS AssumeRole with the base keys, then CVM with the temporary ones", async () => {
    await useConfig({
      "tencentcloud:assumeRole": JSON.stringify({
        roleArn: ROLE_ARN,
        sessionName: "pulumi-test",
        sessionDuration: 900,
        policy: { version: "2.0", statement: [{ effect: "allow", action: ["cvm:*"], resource: ["*"] }] },
      }),
    });
    await create(sg(1), [ins(1), ins(2)]);
    expect((await h.bindings())[ins(1)]).toContain(sg(1));
    const c = await callers();
    expect(c.AssumeRole).toEqual([SECRET_ID]);
    expect(c.AssociateSecurityGroups.length).toBeGreaterThan(0);
    expect([...c.AssociateSecurityGroups, ...c.DescribeInstances].every(tmp)).toBe(true);
  });

  it("the TENCENTCLOUD_ASSUME_ROLE_* environment when the config sets none", async () => {
    process.env.TENCENTCLOUD_ASSUME_ROLE_ARN = ROLE_ARN;
    process.env.TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME = "from-env";
    process.env.TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION = "1800";
    await useConfig({});
    await create(sg(1), [ins(1)]);
    const c = await callers();
    expect(c.AssumeRole).toEqual([SECRET_ID]);
    expect(c.AssociateSecurityGroups.every(tmp)).toBe(true);
  });

  it("an unknown role is a clear error and changes nothing", async () => {
    await useConfig({
      "tencentcloud:assumeRole": JSON.stringify({
        roleArn: `qcs::cam::uin/${OTHER_ACCOUNT}:roleName/nobody`,
        sessionName: "s1",
      }),
    });
    const msg = await errorOf(() => create(sg(1), [ins(1)]));
    expect(msg).toMatch(/AssumeRole failed: \[ResourceNotFound.RoleNotExist\]/);
    expect(msg).toMatch(/tencentcloud:assumeRole/);
    expect((await callers()).AssociateSecurityGroups).toBeUndefined();
  });

  it("a temporary key refused mid-operation (AuthFailure.TokenFailure) is renewed and the call resent", async () => {
    await useConfig({
      "tencentcloud:assumeRole": JSON.stringify({ roleArn: ROLE_ARN, sessionName: "renewal" }),
    });
    await h.emu.control.addFault({
      kind: "error",
      code: "AuthFailure.TokenFailure",
      action: "AssociateSecurityGroups",
      count: 1,
    });
    await create(sg(1), [ins(1)]);
    expect((await h.bindings())[ins(1)]).toContain(sg(1));
    const c = await callers();
    expect(c.AssumeRole).toHaveLength(2);
    expect(new Set(c.AssociateSecurityGroups).size).toBe(2);
  });
});

describe("tccli profiles in a temporary HOME", () => {
  it("reads ~/.tccli/default.credential when nothing else is set", async () => {
    withoutEnvKeys();
    writeProfile(path.join(home, ".tccli"), "default", { secretId: PROFILE_ID, secretKey: PROFILE_KEY });
    await useConfig({});
    await create(sg(1), [ins(1)]);
    expect((await callers()).AssociateSecurityGroups).toEqual([PROFILE_ID]);
  });

  it("a named profile (config before env) in sharedCredentialsDir", async () => {
    withoutEnvKeys();
    const dir = path.join(home, "creds");
    writeProfile(dir, "ops", { secretId: NAMED_ID, secretKey: NAMED_KEY });
    writeProfile(dir, "envprofile", { secretId: PROFILE_ID, secretKey: PROFILE_KEY });
    process.env.TENCENTCLOUD_PROFILE = "envprofile";
    process.env.TENCENTCLOUD_SHARED_CREDENTIALS_DIR = dir;
    await useConfig({ "tencentcloud:profile": "ops" });
    await create(sg(1), [ins(1)]);
    expect((await callers()).AssociateSecurityGroups).toEqual([NAMED_ID]);
  });

  it("a profile with role-arn assumes that role with the profile's keys", async () => {
    withoutEnvKeys();
    writeProfile(path.join(home, ".tccli"), "default", {
      secretId: PROFILE_ID,
      secretKey: PROFILE_KEY,
      "role-arn": ROLE_ARN,
      "role-session-name": "tccli",
    });
    await useConfig({});
    await create(sg(1), [ins(1)]);
    const c = await callers();
    expect(c.AssumeRole).toEqual([PROFILE_ID]);
    expect(c.AssociateSecurityGroups.every(tmp)).toBe(true);
  });

  it("a named profile without a file is an error naming the file; nothing changes", async () => {
    withoutEnvKeys();
    await useConfig({ "tencentcloud:profile": "missing" });
    const msg = await errorOf(() => create(sg(1), [ins(1)]));
    expect(msg).toContain(path.join(home, ".tccli", "missing.credential"));
    expect(await callers()).toEqual({});
  });

  it("config and env keys win over the profile file", async () => {
    writeProfile(path.join(home, ".tccli"), "default", { secretId: PROFILE_ID, secretKey: PROFILE_KEY });
    await useConfig({});
    await create(sg(1), [ins(1)]);
    expect((await callers()).AssociateSecurityGroups).toEqual([SECRET_ID]);
  });
});

describe("camRoleName", () => {
  it("takes the named role's keys from the metadata service (the emulator's), before config keys", async () => {
    await useConfig({ "tencentcloud:camRoleName": CVM_ROLE });
    await create(sg(1), [ins(1)]);
    const c = await callers();
    expect(c.AssociateSecurityGroups.every(tmp)).toBe(true);
    expect(c.AssociateSecurityGroups).not.toContain(SECRET_ID);
  });
});

describe("account guard (tencentcloud:allowedAccountIds)", () => {
  it("lets an allowed account through, asking STS once per process", async () => {
    await useConfig({ "tencentcloud:allowedAccountIds": JSON.stringify([ACCOUNT, "999999999999"]) });
    await create(sg(1), [ins(1)]);
    await create(sg(2), [ins(2)]);
    expect((await callers()).GetCallerIdentity).toEqual([SECRET_ID]);
  });

  it("refuses another account before any change, naming both", async () => {
    await useConfig({
      "tencentcloud:allowedAccountIds": JSON.stringify([ACCOUNT]),
      "tencentcloud:assumeRole": JSON.stringify({ roleArn: ROLE_ARN, sessionName: "guard" }),
    });
    const before = await h.bindings();
    const msg = await errorOf(() => create(sg(1), [ins(1)]));
    expect(msg).toContain(OTHER_ACCOUNT);
    expect(msg).toContain(ACCOUNT);
    expect(msg).toMatch(/Nothing was changed/);
    expect(await h.bindings()).toEqual(before);
    const c = await callers();
    expect(Object.keys(c).sort()).toEqual(["AssumeRole", "GetCallerIdentity"]);
    // Remembered for the process: a second attempt does not ask again.
    await errorOf(() =>
      implementation.delete("x", { securityGroupId: sg(99), instanceIds: [ins(1)], region: REGION } as any),
    );
    expect((await callers()).GetCallerIdentity).toHaveLength(1);
    expect(await h.bindings()).toEqual(before);
  });
});
