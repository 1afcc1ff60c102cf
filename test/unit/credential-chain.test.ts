// The order of the credential sources and the endpoint rules (pure), and the
// renewal of temporary credentials (injected clock).
import {
  ConfigSource,
  parseAccountIds,
  resolveAssumeRole,
  resolveCredentialPlan,
  resolveSettings,
  SettingsError,
} from "../../provider/impl/settings";
import { renewalTime, RenewingCredentials } from "../../provider/impl/renewal";
import { buildCredentialProvider, CredentialDeps } from "../../provider/impl/credentials";
import { clearRegisteredSecrets, redact } from "../../provider/impl/errors";

const KEY = "FAKEKEY-chain-0123456789abcdef";
const ARN = "qcs::cam::uin/100012345678:roleName/deployer";

function cfg(values: Record<string, string> = {}): ConfigSource {
  return (k) => values[k];
}

const staticCfg = { "tencentcloud:secretId": "AKIDcfg", "tencentcloud:secretKey": KEY };
const staticEnv = { TENCENTCLOUD_SECRET_ID: "AKIDenv", TENCENTCLOUD_SECRET_KEY: KEY };

describe("the order of the base credential sources", () => {
  const settings = resolveSettings(cfg(), {});
  const base = (c: Record<string, string>, env: Record<string, string>) =>
    resolveCredentialPlan(cfg(c), { HOME: "/h", ...env }, settings).base;

  it("camRoleName (config, then env) replaces every key source", () => {
    expect(
      base({ ...staticCfg, "tencentcloud:camRoleName": "r1" }, { TENCENTCLOUD_CAM_ROLE_NAME: "r2" }),
    ).toEqual({
      kind: "camRole",
      roleName: "r1",
      source: "config",
    });
    expect(base(staticCfg, { ...staticEnv, TENCENTCLOUD_CAM_ROLE_NAME: "r2" })).toMatchObject({
      kind: "camRole",
      roleName: "r2",
      source: "env",
    });
  });

  it("config keys, then env keys, then the tccli profile", () => {
    expect(base(staticCfg, staticEnv)).toMatchObject({
      kind: "static",
      secretId: "AKIDcfg",
      source: "config",
    });
    expect(base({ "tencentcloud:profile": "p" }, staticEnv)).toMatchObject({ kind: "static", source: "env" });
    expect(base({}, {})).toMatchObject({ kind: "profile", profile: "default", named: false });
  });

  it("profile: config before TENCENTCLOUD_PROFILE; dir: config, env, ~/.tccli", () => {
    expect(base({ "tencentcloud:profile": "a" }, { TENCENTCLOUD_PROFILE: "b" })).toMatchObject({
      profile: "a",
      named: true,
      file: "/h/.tccli/a.credential",
    });
    expect(base({}, { TENCENTCLOUD_PROFILE: "b", TENCENTCLOUD_SHARED_CREDENTIALS_DIR: "/d/" })).toMatchObject(
      {
        file: "/d/b.credential",
      },
    );
    expect(
      base({ "tencentcloud:sharedCredentialsDir": "~/x" }, { TENCENTCLOUD_SHARED_CREDENTIALS_DIR: "/d" }),
    ).toMatchObject({ file: "/h/x/default.credential" });
    expect(() => base({ "tencentcloud:profile": "../etc" }, {})).toThrow(/profile name/);
  });
});

describe("assume-role settings", () => {
  const env = {
    TENCENTCLOUD_ASSUME_ROLE_ARN: "qcs::cam::uin/1:roleName/env",
    TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME: "env-session",
    TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION: "900",
    TENCENTCLOUD_ASSUME_ROLE_EXTERNAL_ID: "ext-env",
  };

  it("config first; its missing fields come from the environment", () => {
    const r = resolveAssumeRole(
      cfg({ "tencentcloud:assumeRole": JSON.stringify({ roleArn: ARN, policy: { version: "2.0" } }) }),
      env,
    );
    expect(r).toEqual({
      roleArn: ARN,
      sessionName: "env-session",
      durationSeconds: 900,
      policy: '{"version":"2.0"}',
      externalId: "ext-env",
      source: "config",
    });
  });

  it("the environment alone, with the official default duration", () => {
    const r = resolveAssumeRole(cfg(), {
      TENCENTCLOUD_ASSUME_ROLE_ARN: ARN,
      TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME: "s1",
    });
    expect(r).toEqual({ roleArn: ARN, sessionName: "s1", durationSeconds: 7200, source: "env" });
    expect(resolveAssumeRole(cfg(), {})).toBeUndefined();
  });

  it.each([
    [{ "tencentcloud:assumeRole": "not json" }, {}, /tencentcloud:assumeRole must be an object/],
    [{ "tencentcloud:assumeRole": JSON.stringify({ roleArn: ARN }) }, {}, /sessionName/],
    [{}, { TENCENTCLOUD_ASSUME_ROLE_ARN: ARN }, /TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME/],
    [
      { "tencentcloud:assumeRole": JSON.stringify({ roleArn: "arn:aws:x", sessionName: "s1" }) },
      {},
      /role ARN/,
    ],
    [
      {
        "tencentcloud:assumeRole": JSON.stringify({
          roleArn: ARN,
          sessionName: "s1",
          sessionDuration: 50000,
        }),
      },
      {},
      /sessionDuration/,
    ],
    [
      { "tencentcloud:assumeRole": JSON.stringify({ roleArn: ARN, sessionName: "s1", role: "x" }) },
      {},
      /unknown/,
    ],
  ])("rejects %j %j with a message naming the field", (c, e, re) => {
    expect(() => resolveAssumeRole(cfg(c as Record<string, string>), e)).toThrow(SettingsError);
    expect(() => resolveAssumeRole(cfg(c as Record<string, string>), e)).toThrow(re);
  });
});

describe("endpoints: domain, protocol and the overrides", () => {
  it("derives CVM and STS from domain and protocol (config before env)", () => {
    const s = resolveSettings(cfg({ "tencentcloud:domain": "intl.tencentcloudapi.com" }), {
      TENCENTCLOUD_DOMAIN: "other.example",
      TENCENTCLOUD_PROTOCOL: "HTTP",
    });
    expect(s.endpoint.url).toBe("http://cvm.intl.tencentcloudapi.com");
    expect(s.stsEndpoint.url).toBe("http://sts.intl.tencentcloudapi.com");
    expect(s.metadataEndpoint.url).toBe("http://metadata.tencentyun.com");
  });

  it("the CVM override wins over domain; STS and metadata follow it only when it is loopback", () => {
    const remote = resolveSettings(cfg({ "tencentcloud:domain": "d.example" }), {
      TENCENTCLOUD_CVM_ENDPOINT: "https://cvm.private.example",
    });
    expect(remote.endpoint.url).toBe("https://cvm.private.example");
    expect(remote.stsEndpoint.url).toBe("https://sts.d.example");
    const local = resolveSettings(cfg({ "tencentcloud:domain": "d.example" }), {
      TENCENTCLOUD_CVM_ENDPOINT: "http://127.0.0.1:9",
    });
    expect(local.stsEndpoint.url).toBe("http://127.0.0.1:9");
    expect(local.metadataEndpoint.url).toBe("http://127.0.0.1:9");
    const own = resolveSettings(cfg({ "tencentcloud-sg-attachment:stsEndpoint": "http://127.0.0.1:7" }), {
      TENCENTCLOUD_CVM_ENDPOINT: "http://127.0.0.1:9",
    });
    expect(own.stsEndpoint.url).toBe("http://127.0.0.1:7");
  });

  it("rejects a bad protocol or domain, naming the key", () => {
    expect(() => resolveSettings(cfg({ "tencentcloud:protocol": "ftp" }), {})).toThrow(
      /tencentcloud:protocol/,
    );
    expect(() => resolveSettings(cfg(), { TENCENTCLOUD_DOMAIN: "https://x.com" })).toThrow(
      /TENCENTCLOUD_DOMAIN/,
    );
  });

  it("reads allowedAccountIds as a JSON list or a comma-separated string", () => {
    expect(parseAccountIds('["1001", 1002]')).toEqual(["1001", "1002"]);
    expect(parseAccountIds("1001, 1002,1001")).toEqual(["1001", "1002"]);
    expect(parseAccountIds(undefined)).toEqual([]);
    expect(() => parseAccountIds('["abc"]')).toThrow(/tencentcloud:allowedAccountIds.*"abc"/);
  });
});

describe("renewal of temporary credentials", () => {
  afterEach(() => clearRegisteredSecrets());

  it("renews a quarter of the lifetime (at most 5 minutes) before expiry", () => {
    expect(renewalTime(0, 4000)).toBe(3000);
    expect(renewalTime(0, 7200_000)).toBe(7200_000 - 300_000);
  });

  it("hands out cached keys until then, renews once for concurrent callers, and on invalidate", async () => {
    let now = 0;
    let n = 0;
    const p = new RenewingCredentials(
      "assume-role:x",
      async () => ({ secretId: `AKIDTMP${++n}`, secretKey: KEY, token: "t", expiresAtMs: now + 4000 }),
      () => now,
    );
    const [a, b] = await Promise.all([p.get(), p.get()]);
    expect(a.secretId).toBe("AKIDTMP1");
    expect(b.secretId).toBe("AKIDTMP1");
    now = 2999;
    expect((await p.get()).secretId).toBe("AKIDTMP1");
    now = 3000;
    expect((await p.get()).secretId).toBe("AKIDTMP2");
    p.invalidate();
    expect((await p.get()).secretId).toBe("AKIDTMP3");
    expect(p.fetches).toBe(3);
  });

  it("an assumed role is renewed with fresh base credentials", async () => {
    const signers: string[] = [];
    const deps: CredentialDeps = {
      basic: () => ({ identity: "AKIDbase", get: async () => ({ secretId: "AKIDbase", secretKey: KEY }) }),
      camRole: async () => {
        throw new Error("not used");
      },
      readFile: () => undefined,
      sts: () => ({
        assumeRole: async (signer) => {
          signers.push(signer.secretId);
          return {
            secretId: "AKIDTMPx",
            secretKey: "TMPKEY-scrub-me-123",
            token: "TOKEN-scrub-me-456",
            expiresAtMs: 0,
          };
        },
        callerIdentity: async () => ({ accountId: "1", arn: "" }),
      }),
    };
    const settings = resolveSettings(cfg(), {});
    const plan = resolveCredentialPlan(
      cfg({ ...staticCfg, "tencentcloud:assumeRole": JSON.stringify({ roleArn: ARN, sessionName: "s1" }) }),
      {},
      settings,
    );
    const p = buildCredentialProvider(plan, settings, deps);
    expect(p.identity).toBe(`assume-role:${ARN}`);
    await p.get();
    await p.get(); // expired at once: renewed again
    expect(signers).toEqual(["AKIDbase", "AKIDbase"]);
  });
});

it("redacts what the SDK-backed STS client registers", () => {
  // remember() (used by the STS and metadata clients) registers tmp keys and tokens.
  const { remember } = require("../../provider/impl/api");
  remember({ secretId: "AKIDTMPy", secretKey: "TMPKEY-registered-789", token: "TOKEN-registered-012" });
  expect(redact("k=TMPKEY-registered-789 t=TOKEN-registered-012")).toBe("k=*** t=***");
  clearRegisteredSecrets();
});

it("without HOME and with nothing named, the default tccli profile is skipped", () => {
  const settings = resolveSettings(cfg(), {});
  expect(resolveCredentialPlan(cfg(), {}, settings).base).toEqual({ kind: "chain", cvmRole: true });
  expect(() => resolveCredentialPlan(cfg({ "tencentcloud:profile": "p" }), {}, settings)).toThrow(
    /HOME is not set/,
  );
});
