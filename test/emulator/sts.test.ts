// STS (AssumeRole, GetCallerIdentity) and the metadata service's role
// credentials, through the official STS SDK: temporary keys work for CVM
// until they expire, then AuthFailure.TokenFailure.
import * as http from "node:http";
import type { RunningEmulator, Seed } from "../../emulator";
import { cvmClient, MAIN, ManualClock, OTHER, REGION, sdkError, start, testSeed } from "./helpers";

const { sts } = require("tencentcloud-sdk-nodejs-sts");

const ROLE = "qcs::cam::uin/200000000002:roleName/deployer";
const GUARDED = "qcs::cam::uin/200000000002:roleName/guarded";

function seed(): Seed {
  const s = testSeed();
  s.credentials[1] = { ...OTHER, accountId: "300000000003" };
  s.roles = [{ arn: ROLE }, { arn: GUARDED, externalId: "ext-123" }];
  return s;
}

function stsClient(
  emu: RunningEmulator,
  credential: { secretId: string; secretKey: string; token?: string } = MAIN,
) {
  return new sts.v20180813.Client({
    credential,
    region: REGION,
    profile: { httpProfile: { endpoint: `127.0.0.1:${emu.port}`, protocol: "http://", reqTimeout: 10 } },
  });
}

function getJson(url: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let b = "";
        res.on("data", (d) => (b += d));
        res.on("end", () => {
          let body: unknown = b;
          try {
            body = JSON.parse(b);
          } catch {
            /* plain text */
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      })
      .on("error", reject);
  });
}

describe("emulator STS", () => {
  // Keys expire only when a test moves the clock (signatures carry the real
  // time, which stays well within the 300 s the emulator allows).
  const clock = new ManualClock();
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await start({ seed: seed(), clock: clock.now });
  });
  afterAll(() => emu.stop());
  beforeEach(async () => {
    clock.set(Date.now());
    await emu.control.reset();
    await emu.control.configure({ stsTokenLifetimeSeconds: null });
  });

  it("GetCallerIdentity reports the seed account (default 100000000001)", async () => {
    expect(await stsClient(emu).GetCallerIdentity({})).toMatchObject({
      AccountId: "100000000001",
      Type: "CAMUser",
    });
    expect(await stsClient(emu, OTHER).GetCallerIdentity({})).toMatchObject({ AccountId: "300000000003" });
  });

  it("AssumeRole issues keys of the role's account that CVM accepts, with the asked lifetime", async () => {
    const r = await stsClient(emu).AssumeRole({
      RoleArn: ROLE,
      RoleSessionName: "s-1",
      DurationSeconds: 900,
    });
    expect(r.ExpiredTime).toBe(Math.floor(clock.now() / 1000) + 900);
    expect(r.Expiration).toBe(new Date(r.ExpiredTime * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"));
    const tmp = {
      secretId: r.Credentials.TmpSecretId,
      secretKey: r.Credentials.TmpSecretKey,
      token: r.Credentials.Token,
    };
    expect(await stsClient(emu, tmp).GetCallerIdentity({})).toMatchObject({
      AccountId: "200000000002",
      Type: "CAMRole",
      Arn: "qcs::sts:200000000002:assumed-role/deployer/s-1",
    });
    const d = await cvmClient(emu, { credential: tmp }).DescribeInstances({ InstanceIds: ["ins-run00001"] });
    expect(d.TotalCount).toBe(1);
    const noToken = { secretId: tmp.secretId, secretKey: tmp.secretKey };
    expect((await sdkError(cvmClient(emu, { credential: noToken }).DescribeInstances({}))).code).toBe(
      "AuthFailure.TokenFailure",
    );
    const calls = await emu.control.calls();
    expect(calls.map((c) => c.action)).toContain("AssumeRole");
    expect(JSON.stringify(calls)).not.toContain(tmp.secretKey);
    expect(JSON.stringify(calls)).not.toContain(tmp.token);
  });

  it("refuses temporary keys once they expire (lifetime set by the control plane)", async () => {
    await emu.control.configure({ stsTokenLifetimeSeconds: 1 });
    const r = await stsClient(emu).AssumeRole({
      RoleArn: ROLE,
      RoleSessionName: "short",
      DurationSeconds: 7200,
    });
    expect(r.ExpiredTime).toBe(Math.floor(clock.now() / 1000) + 1);
    const tmp = {
      secretId: r.Credentials.TmpSecretId,
      secretKey: r.Credentials.TmpSecretKey,
      token: r.Credentials.Token,
    };
    // accepted up to the last millisecond before the reported expiry, refused from it on
    clock.set(r.ExpiredTime * 1000 - 1);
    const live = await cvmClient(emu, { credential: tmp }).DescribeInstances({
      InstanceIds: ["ins-run00001"],
    });
    expect(live.TotalCount).toBe(1);
    clock.set(r.ExpiredTime * 1000);
    expect((await sdkError(cvmClient(emu, { credential: tmp }).DescribeInstances({}))).code).toBe(
      "AuthFailure.TokenFailure",
    );
  });

  it.each([
    [
      { RoleArn: "qcs::cam::uin/200000000002:roleName/nobody", RoleSessionName: "s-1" },
      "ResourceNotFound.RoleNotExist",
    ],
    [{ RoleArn: GUARDED, RoleSessionName: "s-1" }, "UnauthorizedOperation"],
    [{ RoleArn: GUARDED, RoleSessionName: "s-1", ExternalId: "wrong" }, "UnauthorizedOperation"],
    [{ RoleArn: ROLE, RoleSessionName: "s-1", DurationSeconds: 43201 }, "InvalidParameter.OverTimeError"],
    [{ RoleArn: ROLE, RoleSessionName: "bad name!" }, "InvalidParameter.ParamError"],
    [{ RoleArn: ROLE, RoleSessionName: "s-1", Policy: "not%20json" }, "InvalidParameter.StrategyFormatError"],
    [{ RoleSessionName: "s-1" }, "MissingParameter"],
  ])("AssumeRole %j fails with %s", async (req, code) => {
    expect((await sdkError(stsClient(emu).AssumeRole(req))).code).toBe(code);
  });

  it("accepts the external id and a URL-encoded policy", async () => {
    const policy = encodeURIComponent(JSON.stringify({ version: "2.0", statement: [] }));
    const r = await stsClient(emu).AssumeRole({
      RoleArn: GUARDED,
      RoleSessionName: "s-1",
      ExternalId: "ext-123",
      Policy: policy,
    });
    expect(r.Credentials.TmpSecretId).toMatch(/^AKIDTMP/);
  });

  it("checks the TC3 signature as for CVM", async () => {
    const wrong = { secretId: MAIN.secretId, secretKey: "not-the-right-key-000000000000000" };
    expect((await sdkError(stsClient(emu, wrong).GetCallerIdentity({}))).code).toBe(
      "AuthFailure.SignatureFailure",
    );
  });

  it("serves a role's keys on the metadata path; an unknown role is 404", async () => {
    const ok = await getJson(`${emu.url}/latest/meta-data/cam/security-credentials/deployer`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ Code: "Success" });
    const tmp = { secretId: ok.body.TmpSecretId, secretKey: ok.body.TmpSecretKey, token: ok.body.Token };
    expect(await stsClient(emu, tmp).GetCallerIdentity({})).toMatchObject({ AccountId: "200000000002" });
    expect((await getJson(`${emu.url}/latest/meta-data/cam/security-credentials/nobody`)).status).toBe(404);
  });

  it("rejects a seed role with a malformed ARN, and a bad lifetime setting", async () => {
    const bad = seed();
    bad.roles = [{ arn: "arn:aws:iam::1:role/x" }];
    await expect(emu.control.reset(bad)).rejects.toThrow(/qcs::cam::uin/);
    await expect(emu.control.configure({ stsTokenLifetimeSeconds: 0 })).rejects.toThrow(
      /stsTokenLifetimeSeconds/,
    );
  });
});
