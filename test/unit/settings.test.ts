import {
  ConfigSource,
  DEFAULT_TUNING,
  isLoopbackHost,
  noCredentialsMessage,
  parseEndpoint,
  resolveCredentialSpec,
  resolveRegion,
  resolveSettings,
  SettingsError,
  tuningConfigKey,
  tuningEnvName,
} from "../../provider/impl/settings";

const FAKE_KEY = "FAKEKEY-settings-0123456789abcdef";
const FAKE_TOKEN = "FAKETOKEN-settings-0123456789abcdef";

function cfg(values: Record<string, string> = {}): ConfigSource {
  return (k) => values[k];
}

describe("resolveSettings: endpoint", () => {
  it("defaults to the public CVM endpoint over https", () => {
    const s = resolveSettings(cfg(), {});
    expect(s.endpoint).toEqual({
      url: "https://cvm.tencentcloudapi.com",
      protocol: "https://",
      host: "cvm.tencentcloudapi.com",
      loopback: false,
    });
    expect(s.skipCvmRole).toBe(false);
  });

  it("takes env TENCENTCLOUD_CVM_ENDPOINT before the config key", () => {
    const s = resolveSettings(
      cfg({ "tencentcloud-sg-attachment:cvmEndpoint": "https://cvm.intl.tencentcloudapi.com" }),
      {
        TENCENTCLOUD_CVM_ENDPOINT: "http://127.0.0.1:8080",
      },
    );
    expect(s.endpoint).toEqual({
      url: "http://127.0.0.1:8080",
      protocol: "http://",
      host: "127.0.0.1:8080",
      loopback: true,
    });
  });

  it("uses the config key when the env var is absent", () => {
    const s = resolveSettings(
      cfg({ "tencentcloud-sg-attachment:cvmEndpoint": "https://cvm.intl.tencentcloudapi.com/" }),
      {},
    );
    expect(s.endpoint.host).toBe("cvm.intl.tencentcloudapi.com");
    expect(s.endpoint.protocol).toBe("https://");
    expect(s.endpoint.loopback).toBe(false);
  });

  it("skips the CVM-role step for a loopback endpoint", () => {
    const s = resolveSettings(cfg(), { TENCENTCLOUD_CVM_ENDPOINT: "http://localhost:9000" });
    expect(s.endpoint.loopback).toBe(true);
    expect(s.skipCvmRole).toBe(true);
  });

  it.each([
    "127.0.0.1:8080",
    "ftp://127.0.0.1",
    "http://127.0.0.1:8080/api",
    "http://u:p@127.0.0.1:1",
    "not a url",
  ])("rejects a malformed endpoint %s with a clear message", (raw) => {
    expect(() => resolveSettings(cfg(), { TENCENTCLOUD_CVM_ENDPOINT: raw })).toThrow(SettingsError);
    expect(() => resolveSettings(cfg(), { TENCENTCLOUD_CVM_ENDPOINT: raw })).toThrow(
      /TENCENTCLOUD_CVM_ENDPOINT/,
    );
  });

  it("parses IPv6 loopback and ordinary hosts", () => {
    expect(parseEndpoint("http://[::1]:8080", "x")).toMatchObject({ host: "[::1]:8080", loopback: true });
    expect(isLoopbackHost("127.10.0.3")).toBe(true);
    expect(isLoopbackHost("cvm.tencentcloudapi.com")).toBe(false);
    expect(isLoopbackHost("128.0.0.1")).toBe(false);
  });
});

describe("resolveSettings: skipCvmRole", () => {
  it("honours env TENCENTCLOUD_SKIP_CVM_ROLE=true", () => {
    expect(resolveSettings(cfg(), { TENCENTCLOUD_SKIP_CVM_ROLE: "true" }).skipCvmRole).toBe(true);
    expect(resolveSettings(cfg(), { TENCENTCLOUD_SKIP_CVM_ROLE: "false" }).skipCvmRole).toBe(false);
  });
  it("honours the config key", () => {
    expect(resolveSettings(cfg({ "tencentcloud-sg-attachment:skipCvmRole": "true" }), {}).skipCvmRole).toBe(
      true,
    );
  });
  it("rejects a non-boolean value", () => {
    expect(() => resolveSettings(cfg(), { TENCENTCLOUD_SKIP_CVM_ROLE: "maybe" })).toThrow(/true or false/);
  });
});

describe("resolveSettings: region", () => {
  it("prefers config over env", () => {
    const s = resolveSettings(cfg({ "tencentcloud:region": "ap-shanghai" }), {
      TENCENTCLOUD_REGION: "ap-beijing",
    });
    expect(s.region).toBe("ap-shanghai");
    expect(s.regionSource).toBe("config");
  });
  it("falls back to env", () => {
    const s = resolveSettings(cfg(), { TENCENTCLOUD_REGION: "ap-beijing" });
    expect(s.region).toBe("ap-beijing");
    expect(s.regionSource).toBe("env");
  });
  it("is undefined when neither is set", () => {
    expect(resolveSettings(cfg(), {}).region).toBeUndefined();
  });
  it("resolveRegion: the resource input wins", () => {
    expect(resolveRegion("ap-chengdu", { region: "ap-beijing" })).toBe("ap-chengdu");
    expect(resolveRegion(undefined, { region: "ap-beijing" })).toBe("ap-beijing");
    expect(resolveRegion("  ", { region: "ap-beijing" })).toBe("ap-beijing");
    expect(resolveRegion(undefined, {})).toBeUndefined();
  });
});

describe("resolveSettings: tuning", () => {
  it("has the documented defaults", () => {
    const t = resolveSettings(cfg(), {}).tuning;
    expect(t).toEqual(DEFAULT_TUNING);
    expect(t.operationTimeoutMs).toBe(600_000);
    expect(t.associateRps).toBe(10);
    expect(t.disassociateRps).toBe(10);
    expect(t.describeRps).toBe(20);
    expect(t.maxBatchSize).toBe(100);
  });

  it("names env vars and config keys predictably", () => {
    expect(tuningEnvName("operationTimeoutMs")).toBe("SGATTACH_OPERATION_TIMEOUT_MS");
    expect(tuningEnvName("associateRps")).toBe("SGATTACH_ASSOCIATE_RPS");
    expect(tuningConfigKey("pollIntervalMs")).toBe("tencentcloud-sg-attachment:pollIntervalMs");
  });

  it("reads config before env", () => {
    const t = resolveSettings(cfg({ "tencentcloud-sg-attachment:associateRps": "5" }), {
      SGATTACH_ASSOCIATE_RPS: "7",
      SGATTACH_POLL_INTERVAL_MS: "40",
    }).tuning;
    expect(t.associateRps).toBe(5);
    expect(t.pollIntervalMs).toBe(40);
  });

  it("rejects out-of-range and non-numeric values, naming the source", () => {
    expect(() => resolveSettings(cfg(), { SGATTACH_MAX_BATCH_SIZE: "101" })).toThrow(
      /env SGATTACH_MAX_BATCH_SIZE/,
    );
    expect(() => resolveSettings(cfg(), { SGATTACH_POLL_INTERVAL_MS: "fast" })).toThrow(/between/);
    expect(() =>
      resolveSettings(cfg({ "tencentcloud-sg-attachment:operationTimeoutMs": "1.5" }), {}),
    ).toThrow(/config tencentcloud-sg-attachment:operationTimeoutMs must be an integer/);
  });

  it("raises the backoff cap to the base when it is lower", () => {
    const t = resolveSettings(cfg(), {
      SGATTACH_RETRY_BASE_DELAY_MS: "500",
      SGATTACH_RETRY_MAX_DELAY_MS: "100",
    }).tuning;
    expect(t.retryMaxDelayMs).toBe(500);
  });
});

describe("resolveCredentialSpec", () => {
  const base = resolveSettings(cfg(), {});
  const loop = resolveSettings(cfg(), { TENCENTCLOUD_CVM_ENDPOINT: "http://127.0.0.1:1" });

  it("takes stack config first", () => {
    const spec = resolveCredentialSpec(
      cfg({
        "tencentcloud:secretId": "AKIDcfg",
        "tencentcloud:secretKey": FAKE_KEY,
        "tencentcloud:securityToken": FAKE_TOKEN,
      }),
      { TENCENTCLOUD_SECRET_ID: "AKIDenv", TENCENTCLOUD_SECRET_KEY: "envkey-xxxxxxxx" },
      base,
    );
    expect(spec).toEqual({
      kind: "static",
      secretId: "AKIDcfg",
      secretKey: FAKE_KEY,
      token: FAKE_TOKEN,
      source: "config",
    });
  });

  it("then env, with either token variable", () => {
    expect(
      resolveCredentialSpec(
        cfg(),
        {
          TENCENTCLOUD_SECRET_ID: "AKIDenv",
          TENCENTCLOUD_SECRET_KEY: FAKE_KEY,
          TENCENTCLOUD_SESSION_TOKEN: FAKE_TOKEN,
        },
        base,
      ),
    ).toEqual({ kind: "static", secretId: "AKIDenv", secretKey: FAKE_KEY, token: FAKE_TOKEN, source: "env" });
    expect(
      resolveCredentialSpec(
        cfg(),
        {
          TENCENTCLOUD_SECRET_ID: "AKIDenv",
          TENCENTCLOUD_SECRET_KEY: FAKE_KEY,
          TENCENTCLOUD_SECURITY_TOKEN: "sectoken-xxxx",
          TENCENTCLOUD_SESSION_TOKEN: "sesstoken-xxxx",
        },
        base,
      ),
    ).toMatchObject({ token: "sectoken-xxxx" });
    expect(
      resolveCredentialSpec(
        cfg(),
        { TENCENTCLOUD_SECRET_ID: "AKIDenv", TENCENTCLOUD_SECRET_KEY: FAKE_KEY },
        base,
      ),
    ).not.toHaveProperty("token");
  });

  it("then the default tccli profile, then the SDK chain, with the CVM role only for real endpoints", () => {
    const env = { HOME: "/home/u" };
    expect(resolveCredentialSpec(cfg(), env, base)).toEqual({
      kind: "profile",
      profile: "default",
      file: "/home/u/.tccli/default.credential",
      named: false,
      cvmRole: true,
    });
    expect(resolveCredentialSpec(cfg(), env, loop)).toMatchObject({ kind: "profile", cvmRole: false });
    const skipped = resolveSettings(cfg(), { TENCENTCLOUD_SKIP_CVM_ROLE: "true" });
    expect(resolveCredentialSpec(cfg(), env, skipped)).toMatchObject({ kind: "profile", cvmRole: false });
  });

  it("rejects half-configured sources without echoing the secret", () => {
    let msg = "";
    try {
      resolveCredentialSpec(cfg({ "tencentcloud:secretKey": FAKE_KEY }), {}, base);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/missing tencentcloud:secretId/);
    expect(msg).not.toContain(FAKE_KEY);

    msg = "";
    try {
      resolveCredentialSpec(cfg(), { TENCENTCLOUD_SECRET_KEY: FAKE_KEY }, base);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/missing TENCENTCLOUD_SECRET_ID/);
    expect(msg).not.toContain(FAKE_KEY);

    expect(() => resolveCredentialSpec(cfg(), { TENCENTCLOUD_SECRET_ID: "AKIDx" }, base)).toThrow(
      /missing TENCENTCLOUD_SECRET_KEY/,
    );
  });

  it("explains where credentials can come from when none are found", () => {
    const skipped = noCredentialsMessage(false);
    expect(skipped).toMatch(/tencentcloud:secretId/);
    expect(skipped).toMatch(/TENCENTCLOUD_SECRET_ID/);
    expect(skipped).toMatch(/CVM-role step was skipped/);
    expect(noCredentialsMessage(true)).toMatch(/CAM role/);
  });
});
