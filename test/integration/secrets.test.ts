// No secret key or token may appear in any error, output, log line or stats
// line, on any path we can provoke.

import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { implementation } from "../../provider/impl/index";
import { assertNoSecret, create, errorOf, useHarness } from "./helpers";
import { ins, REGION, SECRET_ID, SECRET_KEY, sg, TOKEN } from "./world";

const WRONG_KEY = "FAKE-WRONG-KEY-never-print-me-7c1d2e3f4a5b";
const ALL_SECRETS = [SECRET_KEY, TOKEN, WRONG_KEY];

let logged: string[];
let spies: jest.SpyInstance[];

function expectClean(text: string): void {
  for (const s of ALL_SECRETS) expect(text).not.toContain(s);
}

async function failingMessage(fn: () => Promise<unknown>): Promise<string> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(Error);
  const e = caught as Error;
  const everything = [
    e.message,
    e.stack ?? "",
    String(e),
    JSON.stringify(e),
    ...Object.getOwnPropertyNames(e).map((k) => {
      try {
        return JSON.stringify((e as any)[k]) ?? "";
      } catch {
        return "";
      }
    }),
  ].join("\n");
  expectClean(everything);
  return e.message;
}

const statsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sgsecrets-")), "stats.jsonl");
const h = useHarness({ env: { SGATTACH_STATS_FILE: statsFile } });
beforeEach(async () => {
  logged = [];
  const capture = (...args: unknown[]) => {
    logged.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : String(a))).join(" "));
  };
  spies = [
    jest.spyOn(console, "log").mockImplementation(capture),
    jest.spyOn(console, "error").mockImplementation(capture),
    jest.spyOn(console, "warn").mockImplementation(capture),
    jest.spyOn(console, "info").mockImplementation(capture),
    jest.spyOn(console, "debug").mockImplementation(capture),
  ];
});
afterEach(() => {
  for (const s of spies) s.mockRestore();
  expectClean(logged.join("\n"));
  expectClean(fs.existsSync(statsFile) ? fs.readFileSync(statsFile, "utf8") : "");
});

function withEnv<T>(patch: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(patch)) {
    saved[k] = process.env[k];
    if (patch[k] === undefined) delete process.env[k];
    else process.env[k] = patch[k];
  }
  return fn().finally(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

describe("secrets never leak", () => {
  it("wrong secret key: AuthFailure with code and hint, no key", async () => {
    const msg = await withEnv({ TENCENTCLOUD_SECRET_KEY: WRONG_KEY }, () =>
      failingMessage(() => create(sg(1), [ins(1)])),
    );
    expect(msg).toMatch(/\[AuthFailure\.[A-Za-z]+\]/);
    expect(msg).toMatch(/Check the credentials/);
  });

  it("unknown secret id", async () => {
    const msg = await withEnv({ TENCENTCLOUD_SECRET_ID: "AKIDUNKNOWN000000000000000000000" }, () =>
      failingMessage(() => create(sg(1), [ins(1)])),
    );
    expect(msg).toMatch(/AuthFailure/);
  });

  it("wrong token", async () => {
    const msg = await withEnv({ TENCENTCLOUD_SECURITY_TOKEN: WRONG_KEY }, () =>
      failingMessage(() => create(sg(1), [ins(1)])),
    );
    expect(msg).toMatch(/AuthFailure/);
  });

  it("unreachable endpoint: network error after retries", async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer();
      srv.listen(0, "127.0.0.1", () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const msg = await withEnv({ TENCENTCLOUD_CVM_ENDPOINT: `http://127.0.0.1:${port}` }, () =>
      failingMessage(() => create(sg(1), [ins(1)])),
    );
    expect(msg).toMatch(/ClientError\.Network/);
    expect(msg).toMatch(/check the endpoint and network/);
  });

  it("half-configured credentials and malformed settings", async () => {
    const m1 = await withEnv({ TENCENTCLOUD_SECRET_ID: undefined }, () =>
      failingMessage(() => create(sg(1), [ins(1)])),
    );
    expect(m1).toMatch(/missing TENCENTCLOUD_SECRET_ID/);
    const m2 = await withEnv({ SGATTACH_POLL_INTERVAL_MS: "soon" }, () =>
      failingMessage(() => create(sg(1), [ins(1)])),
    );
    expect(m2).toMatch(/SGATTACH_POLL_INTERVAL_MS/);
  });

  it("no credentials anywhere: says what to set, never calls the instance metadata service", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "sghome-"));
    const saved = process.env.HOME;
    process.env.HOME = home;
    const common = require("tencentcloud-sdk-nodejs-common");
    const roleSpy = jest.spyOn(common.CvmRoleCredential.prototype, "getCredential");
    const profileSpy = jest.spyOn(common.ProfileCredential.prototype, "getCredential");
    try {
      const msg = await withEnv(
        {
          TENCENTCLOUD_SECRET_ID: undefined,
          TENCENTCLOUD_SECRET_KEY: undefined,
          TENCENTCLOUD_SECURITY_TOKEN: undefined,
        },
        () => failingMessage(() => create(sg(1), [ins(1)])),
      );
      expect(msg).toMatch(/No Tencent Cloud credentials found/);
      expect(msg).toMatch(/tencentcloud:secretId/);
      expect(msg).toMatch(/TENCENTCLOUD_SECRET_KEY/);
      expect(msg).toMatch(/CVM-role step was skipped/);
      expect((await h.emu.control.calls()).length).toBe(0);
      expect(profileSpy).toHaveBeenCalled();
      expect(roleSpy).not.toHaveBeenCalled();
    } finally {
      roleSpy.mockRestore();
      profileSpy.mockRestore();
      process.env.HOME = saved;
    }
  });

  it("API failures, FAILED operations and timeouts", async () => {
    await failingMessage(() => create(sg(1), ["ins-zzzz9999"]));
    await failingMessage(() => create(sg(77), [ins(1)]));
    await h.emu.control.addFault({
      kind: "operationFailure",
      action: "AssociateSecurityGroups",
      count: 1,
      message: `oops ${SECRET_ID}`,
    });
    const m = await failingMessage(() => create(sg(1), [ins(1)]));
    expect(m).toMatch(/oops AKID/);
    await withEnv({ SGATTACH_OPERATION_TIMEOUT_MS: "200" }, async () => {
      await h.emu.control.addFault({
        kind: "error",
        action: "AssociateSecurityGroups",
        code: "MutexOperation.TaskRunning",
      });
      await failingMessage(() => create(sg(1), [ins(1)]));
    });
  });

  it("an API message that echoes the key is scrubbed", async () => {
    await h.emu.control.addFault({
      kind: "error",
      action: "DescribeInstances",
      code: "AuthFailure.SignatureFailure",
      message: `signature mismatch for key ${SECRET_KEY} and token ${TOKEN}`,
      count: 1,
    });
    const msg = await failingMessage(() => create(sg(1), [ins(1)]));
    expect(msg).toMatch(/signature mismatch for key \*\*\* and token \*\*\*/);
  });

  it("check failures never echo a secret pasted into an input", async () => {
    const r = await implementation.check({}, { securityGroupId: SECRET_KEY, instanceIds: [TOKEN] });
    expect(r.failures!.map((f) => f.property)).toEqual(["securityGroupId", "instanceIds[0]"]);
    expectClean(JSON.stringify(r.failures));
  });

  it("credentials from stack config are scrubbed too, and never appear in outputs", async () => {
    const { Config } = require("@pulumi/pulumi/cmd/dynamic-provider/config");
    await implementation.configure({
      config: new Config(
        {
          "tencentcloud:secretId": SECRET_ID,
          "tencentcloud:secretKey": WRONG_KEY,
          "tencentcloud:region": REGION,
        },
        "proj",
      ),
    });
    try {
      const msg = await failingMessage(() => create(sg(1), [ins(1)]));
      expect(msg).toMatch(/AuthFailure/);
    } finally {
      await implementation.configure({ config: {} });
    }
    const ok = await create(sg(2), [ins(2)]);
    assertNoSecret(ok);
    const read = await implementation.read(ok.id, ok.outs);
    assertNoSecret(read);
    await implementation.delete(ok.id, ok.outs);
    expect(await errorOf(() => create(sg(2), ["ins-zzzz9999"]))).toMatch(/not found/);
  });
});
