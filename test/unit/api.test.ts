import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { credentialProvider, toApiError, toInstanceView } from "../../provider/impl/api";
import {
  ApiError,
  clearRegisteredSecrets,
  describeError,
  hintFor,
  LOCAL_CODES,
  ProviderError,
  redact,
  registerSecret,
} from "../../provider/impl/errors";
import { implementation, resetForTests, stats, toConfigSource } from "../../provider/impl/index";
import { classifyError } from "../../provider/impl/retry";
import { MAX_SGS_PER_INSTANCE } from "../../provider/impl/limits";
import { defaultConfig } from "../../emulator/config";
import { counters, resetStats, snapshot, writeStatsLine } from "../../provider/impl/stats";

const FAKE_KEY = "FAKEKEY-api-unit-0123456789abcdef";
const FAKE_TOKEN = "FAKETOKEN-api-unit-0123456789abcdef";

class SdkLikeError extends Error {
  code?: string;
  httpCode?: number;
  requestId = "";
}

describe("toApiError", () => {
  it("keeps code, message and RequestId of business errors", () => {
    const e = new SdkLikeError("instances [ins-aaaa1111] not found");
    e.code = "InvalidInstanceId.NotFound";
    e.requestId = "rid-1";
    const a = toApiError("AssociateSecurityGroups", e);
    expect(a).toMatchObject({ code: "InvalidInstanceId.NotFound", requestId: "rid-1" });
    expect(classifyError(a)).toBe("fatal");
    expect(a.message).toBe(
      "AssociateSecurityGroups failed: [InvalidInstanceId.NotFound] instances [ins-aaaa1111] not found (RequestId: rid-1)",
    );
  });
  it("maps non-200 replies and network failures to local codes", () => {
    const h = new SdkLikeError("Service Unavailable");
    h.httpCode = 503;
    expect(toApiError("DescribeInstances", h)).toMatchObject({
      code: LOCAL_CODES.http,
      httpStatus: 503,
    });
    expect(classifyError(toApiError("DescribeInstances", h))).toBe("transient");
    const hangUp = toApiError("DescribeInstances", new SdkLikeError("socket hang up"));
    expect(hangUp.code).toBe(LOCAL_CODES.network);
    expect(classifyError(hangUp)).toBe("transient");
    const throttled = new SdkLikeError("slow down");
    throttled.code = "RequestLimitExceeded";
    expect(classifyError(toApiError("DescribeInstances", throttled))).toBe("throttling");
    const a = new ApiError({ action: "x", code: "y", message: "z" });
    expect(toApiError("other", a)).toBe(a);
    const fetchErr = Object.assign(new Error("invalid json response body"), { name: "FetchError" });
    expect(toApiError("DescribeInstances", fetchErr).code).toBe(LOCAL_CODES.network);
  });
  it("does not mistake local errors (with a Node error code) for API errors", () => {
    const local = Object.assign(new Error("Cannot find module 'tencentcloud-sdk-nodejs-cvm'"), {
      code: "MODULE_NOT_FOUND",
    });
    const a = toApiError("DescribeInstances", local);
    expect(a.code).toBe(LOCAL_CODES.internal);
    expect(classifyError(a)).toBe("fatal");
    expect(describeError(a)).toMatch(/tencentcloud-sdk-nodejs-cvm is installed/);
    expect(toApiError("x", new TypeError("boom")).code).toBe(LOCAL_CODES.internal);
  });
  it("never carries a registered secret", () => {
    registerSecret(FAKE_KEY);
    const e = new SdkLikeError(`bad signature for ${FAKE_KEY}`);
    e.code = "AuthFailure.SignatureFailure";
    const a = toApiError("AssociateSecurityGroups", e);
    expect(a.message).not.toContain(FAKE_KEY);
    expect(a.message).toContain("***");
    expect(toApiError("x", new Error(`connect to ${FAKE_KEY}`)).message).not.toContain(FAKE_KEY);
    clearRegisteredSecrets();
  });
});

describe("toInstanceView", () => {
  it("reads the fields that matter and tolerates nulls", () => {
    expect(
      toInstanceView({
        InstanceId: "ins-aaaa1111",
        InstanceState: "RUNNING",
        SecurityGroupIds: ["sg-1", "sg-2"],
        LatestOperation: "AssociateSecurityGroups",
        LatestOperationState: "SUCCESS",
        LatestOperationRequestId: "r",
        LatestOperationErrorMsg: null,
      }),
    ).toEqual({
      instanceId: "ins-aaaa1111",
      state: "RUNNING",
      securityGroupIds: ["sg-1", "sg-2"],
      latestOperation: "AssociateSecurityGroups",
      latestOperationState: "SUCCESS",
      latestOperationRequestId: "r",
      latestOperationErrorMsg: "",
    });
    expect(toInstanceView({}).securityGroupIds).toEqual([]);
  });
});

describe("credentialProvider", () => {
  afterEach(() => clearRegisteredSecrets());

  it("returns static credentials and registers the secret for redaction", async () => {
    const p = credentialProvider({
      kind: "static",
      secretId: "AKIDx",
      secretKey: FAKE_KEY,
      token: FAKE_TOKEN,
      source: "env",
    });
    expect(p.identity).toBe("AKIDx");
    expect(await p.get()).toEqual({ secretId: "AKIDx", secretKey: FAKE_KEY, token: FAKE_TOKEN });
    expect(redact(`k=${FAKE_KEY} t=${FAKE_TOKEN}`)).toBe("k=*** t=***");
  });

  it("chain: profile first, then CVM role", async () => {
    const calls: string[] = [];
    const p = credentialProvider(
      { kind: "chain", cvmRole: true },
      {
        profile: () => ({
          getCredential: async () => {
            calls.push("profile");
            return { secretId: "", secretKey: "" };
          },
        }),
        cvmRole: () => ({
          getCredential: async () => {
            calls.push("role");
            return { secretId: "AKIDrole", secretKey: FAKE_KEY, token: FAKE_TOKEN };
          },
        }),
      },
    );
    expect(p.identity).toBe("default-chain");
    expect(await p.get()).toEqual({ secretId: "AKIDrole", secretKey: FAKE_KEY, token: FAKE_TOKEN });
    expect(calls).toEqual(["profile", "role"]);
    expect(redact(FAKE_TOKEN)).toBe("***");
  });

  it("chain: never calls the CVM role when skipped, and explains what to set", async () => {
    let roleCalled = false;
    const p = credentialProvider(
      { kind: "chain", cvmRole: false },
      {
        profile: () => ({ getCredential: async () => ({ secretId: "", secretKey: "" }) }),
        cvmRole: () => {
          roleCalled = true;
          return { getCredential: async () => ({ secretId: "x", secretKey: "y" }) };
        },
      },
    );
    const e = await p.get().catch((x) => x);
    expect(roleCalled).toBe(false);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe(LOCAL_CODES.credentials);
    expect(e.message).toMatch(/TENCENTCLOUD_SECRET_ID/);
    expect(e.message).toMatch(/tencentcloud:secretKey/);
  });

  it("chain: a failing role look-up is retried afresh next time", async () => {
    let made = 0;
    const p = credentialProvider(
      { kind: "chain", cvmRole: true },
      {
        profile: () => ({ getCredential: async () => ({}) }),
        cvmRole: () => {
          made++;
          return {
            getCredential: async () => {
              if (made === 1) throw new Error("metadata unreachable");
              return { secretId: "AKIDrole", secretKey: FAKE_KEY };
            },
          };
        },
      },
    );
    await expect(p.get()).rejects.toMatchObject({ code: LOCAL_CODES.credentials });
    expect(await p.get()).toMatchObject({ secretId: "AKIDrole" });
    expect(made).toBe(2);
  });
});

describe("errors", () => {
  afterEach(() => clearRegisteredSecrets());
  it("redacts every registered secret everywhere, ignores very short ones", () => {
    registerSecret(FAKE_KEY);
    registerSecret("ab");
    registerSecret(undefined);
    expect(redact(`${FAKE_KEY}/${FAKE_KEY} ab`)).toBe("***/*** ab");
    expect(new ProviderError(`oops ${FAKE_KEY}`).message).toBe("oops ***");
    expect(describeError(new Error(FAKE_KEY))).toBe("***");
    expect(describeError("plain " + FAKE_KEY)).toBe("plain ***");
  });
  it("adds a hint to API errors", () => {
    const e = new ApiError({
      action: "AssociateSecurityGroups",
      code: "AuthFailure.SecretIdNotFound",
      message: "no",
      requestId: "r",
    });
    expect(describeError(e)).toMatch(
      /\[AuthFailure.SecretIdNotFound\] no \(RequestId: r\)\. Check the credentials/,
    );
    expect(hintFor("AuthFailure.SignatureExpire")).toMatch(/clock/);
    expect(hintFor("UnauthorizedOperation")).toMatch(/CAM/);
    expect(hintFor("AuthFailure.UnauthorizedOperation")).toMatch(/CAM/);
    expect(hintFor("RequestLimitExceeded")).toMatch(/rate limit/);
    // The provider's copy of the API's limit is the emulator's default.
    expect(defaultConfig().maxSecurityGroupsPerInstance).toBe(MAX_SGS_PER_INSTANCE);
    expect(hintFor("LimitExceeded.AssociateUSGLimitExceeded")).toMatch(
      new RegExp(`at most ${MAX_SGS_PER_INSTANCE} security groups`),
    );
    expect(hintFor("Whatever")).toMatch(/pulumi up again/);
  });
});

describe("toConfigSource", () => {
  // configure() sets the process-wide settings: undone even when a test fails.
  afterEach(() => resetForTests());
  it("accepts Pulumi's Config object, plain objects and Maps", () => {
    const pulumiLike = {
      config: { rawConfig: { "tencentcloud:region": "ap-shanghai" }, get: () => "wrong" },
    };
    expect(toConfigSource(pulumiLike)("tencentcloud:region")).toBe("ap-shanghai");
    const getterOnly = {
      config: { get: (k: string) => (k === "tencentcloud:region" ? "ap-beijing" : undefined) },
    };
    expect(toConfigSource(getterOnly)("tencentcloud:region")).toBe("ap-beijing");
    expect(toConfigSource({ config: { "tencentcloud:region": "ap-chengdu" } })("tencentcloud:region")).toBe(
      "ap-chengdu",
    );
    expect(
      toConfigSource({ config: new Map([["tencentcloud:region", "ap-nanjing"]]) })("tencentcloud:region"),
    ).toBe("ap-nanjing");
    expect(toConfigSource({ "x:y": 5 })("x:y")).toBe("5");
    expect(toConfigSource(undefined)("x:y")).toBeUndefined();
    expect(
      toConfigSource({
        config: {
          get: () => {
            throw new Error("x");
          },
        },
      })("a:b"),
    ).toBeUndefined();
  });

  it("works with the real dynamic-provider Config class", async () => {
    const { Config } = require("@pulumi/pulumi/cmd/dynamic-provider/config");
    const c = new Config({ "tencentcloud:region": "ap-hongkong", "proj:x": "1" }, "proj");
    await implementation.configure({ config: c });
    const r = await implementation.check(
      {},
      { securityGroupId: "sg-abcd1234", instanceIds: ["ins-aaaa1111"] },
    );
    expect(r.inputs.region).toBe("ap-hongkong");
  });
});

describe("stats", () => {
  beforeEach(() => resetStats());
  it("counts and snapshots", () => {
    counters.request("AssociateSecurityGroups", 40);
    counters.request("AssociateSecurityGroups", 2);
    counters.throttled();
    counters.busy();
    counters.retry();
    counters.call("create", true);
    const s = stats();
    expect(s.requests.AssociateSecurityGroups).toBe(2);
    expect(s.instances.AssociateSecurityGroups).toBe(42);
    expect(s).toMatchObject({
      throttled: 1,
      busy: 1,
      retries: 1,
      calls: { "create.ok": 1 },
      pid: process.pid,
    });
    s.throttled = 99;
    expect(snapshot().throttled).toBe(1);
  });
  let dir = "";
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  it("appends JSON lines to SGATTACH_STATS_FILE", () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "sgstats-"));
    const file = path.join(dir, "stats.jsonl");
    counters.request("DescribeInstances", 3);
    writeStatsLine("create.ok", { SGATTACH_STATS_FILE: file });
    writeStatsLine("delete.ok", { SGATTACH_STATS_FILE: file });
    writeStatsLine("ignored", {});
    const lines = fs
      .readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event)).toEqual(["create.ok", "delete.ok"]);
    expect(lines[0].stats.requests.DescribeInstances).toBe(1);
    writeStatsLine("x", { SGATTACH_STATS_FILE: path.join(file, "not-a-dir", "f") });
  });
});
