import type { RunningEmulator } from "../../emulator";
import {
  buildTc3Authorization,
  parseTc3Authorization,
  sha256Hex,
  signTc3,
  signV1,
  v1StringToSign,
} from "../../emulator/protocol/signature";
import {
  cvmClient,
  expectErrorEnvelope,
  MAIN,
  OTHER,
  raw,
  REGION,
  sdkError,
  start,
  tc3Request,
  TEMP,
  v1Get,
} from "./helpers";

const SdkSign = require("tencentcloud-sdk-nodejs-common/tencentcloud/common/sign").default;

/** The TC3 signature of a JSON POST to 127.0.0.1 with the main key. */
function signLocalJsonPost(payload: string, ts: number, more: { service?: string; date?: string } = {}) {
  return signTc3({
    method: "POST",
    path: "/",
    query: "",
    headers: [
      ["content-type", "application/json"],
      ["host", "127.0.0.1"],
    ],
    payload,
    timestamp: ts,
    service: "cvm",
    secretKey: MAIN.secretKey,
    ...more,
  });
}

describe("signing code (unit)", () => {
  // The official worked example of the TC3-HMAC-SHA256 documentation.
  const body = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}';
  const vector = {
    method: "POST",
    path: "/",
    query: "",
    headers: [
      ["content-type", "application/json; charset=utf-8"],
      ["host", "cvm.tencentcloudapi.com"],
    ] as [string, string][],
    payload: body,
    timestamp: 1551113065,
    service: "cvm",
    secretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
  };

  test("official TC3 vector: body hash, canonical request hash, scope and signature", () => {
    expect(sha256Hex(body)).toBe("35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
    const out = signTc3(vector);
    expect(out.hashedCanonicalRequest).toBe(
      "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031",
    );
    expect(out.credentialScope).toBe("2019-02-25/cvm/tc3_request");
    expect(out.signedHeaders).toBe("content-type;host");
    expect(out.signature).toBe("72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
    expect(
      buildTc3Authorization(
        "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        out.credentialScope,
        out.signedHeaders,
        out.signature,
      ),
    ).toBe(
      "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, " +
        "SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
    );
  });

  test("header order and surrounding whitespace do not change the signature", () => {
    const reordered = signTc3({
      ...vector,
      headers: [
        ["Host", " cvm.tencentcloudapi.com "],
        ["Content-Type", "application/json; charset=utf-8"],
      ],
    });
    expect(reordered.signature).toBe("72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
  });

  test("agrees with the SDK's own sign3 (service 127, host without port)", () => {
    const ts = 1700000000;
    const payload = { InstanceIds: ["ins-run00001"] };
    const sdkAuth: string = SdkSign.sign3({
      method: "POST",
      url: "http://127.0.0.1:1234/",
      payload,
      timestamp: ts,
      service: "127",
      secretId: MAIN.secretId,
      secretKey: MAIN.secretKey,
      multipart: false,
      headers: { "Content-Type": "application/json" },
    });
    const ours = signLocalJsonPost(JSON.stringify(payload), ts, { service: "127" });
    expect(parseTc3Authorization(sdkAuth)?.signature).toBe(ours.signature);
  });

  test("parseTc3Authorization accepts the canonical form and rejects malformed ones", () => {
    const ok = parseTc3Authorization(
      "TC3-HMAC-SHA256 Credential=AKIDx/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=" +
        "a".repeat(64),
    );
    expect(ok).toEqual({
      secretId: "AKIDx",
      date: "2019-02-25",
      service: "cvm",
      signedHeaders: ["content-type", "host"],
      signature: "a".repeat(64),
    });
    for (const bad of [
      "",
      "Basic abc",
      "TC3-HMAC-SHA256 Credential=AKIDx/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host",
      "TC3-HMAC-SHA256 Credential=AKIDx/2019-02-25/cvm, SignedHeaders=content-type;host, Signature=" +
        "a".repeat(64),
      "TC3-HMAC-SHA256 Credential=AKIDx/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=xyz",
    ]) {
      expect(parseTc3Authorization(bad)).toBeNull();
    }
  });

  test("v1 string to sign and HMAC agree with the SDK's Sign.sign", () => {
    const params: [string, string][] = [
      ["Nonce", "11886"],
      ["Action", "DescribeInstances"],
      ["InstanceIds.0", "ins-09dx96dg"],
      ["Timestamp", "1465185768"],
      ["SecretId", "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"],
      ["Region", "ap-guangzhou"],
      ["Version", "2017-03-12"],
      ["Signature", "ignored"],
    ];
    const sts = v1StringToSign("GET", "cvm.tencentcloudapi.com", "/", params);
    expect(sts).toBe(
      "GETcvm.tencentcloudapi.com/?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Nonce=11886" +
        "&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&Timestamp=1465185768&Version=2017-03-12",
    );
    for (const m of ["HmacSHA1", "HmacSHA256"] as const) {
      expect(signV1(sts, "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", m)).toBe(
        SdkSign.sign("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", sts, m),
      );
    }
  });
});

describe("signature verification over HTTP", () => {
  let emu: RunningEmulator;
  const logLines: string[] = [];
  beforeAll(async () => {
    emu = await start({ log: (l) => logLines.push(l) });
  });
  afterAll(() => emu.stop());
  beforeEach(() => emu.control.reset());

  const variants: [string, { signMethod?: "HmacSHA256" | "HmacSHA1"; reqMethod?: "GET" | "POST" }][] = [
    ["TC3 POST", {}],
    ["TC3 GET", { reqMethod: "GET" }],
    ["HmacSHA256 GET", { signMethod: "HmacSHA256", reqMethod: "GET" }],
    ["HmacSHA256 POST form", { signMethod: "HmacSHA256", reqMethod: "POST" }],
    ["HmacSHA1 GET", { signMethod: "HmacSHA1", reqMethod: "GET" }],
    ["HmacSHA1 POST form", { signMethod: "HmacSHA1", reqMethod: "POST" }],
  ];

  test.each(variants)("%s through the SDK: accepted, and a wrong key is rejected", async (_n, v) => {
    const ok = await cvmClient(emu, v).DescribeInstances({
      Filters: [{ Name: "instance-id", Values: ["ins-run00001", "ins-run00002"] }],
      Limit: 1,
    });
    expect(ok.TotalCount).toBe(2);
    expect(ok.InstanceSet).toHaveLength(1);
    const bad = await sdkError(
      cvmClient(emu, { ...v, credential: { secretId: MAIN.secretId, secretKey: "wrong" } }).DescribeInstances(
        {},
      ),
    );
    expect(bad.code).toBe("AuthFailure.SignatureFailure");
    expect(bad.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test.each(variants)("%s through the SDK: Associate with indexed arrays works", async (_n, v) => {
    await cvmClient(emu, v).AssociateSecurityGroups({
      SecurityGroupIds: ["sg-web00001"],
      InstanceIds: ["ins-run00003", "ins-run00004"],
    });
    await emu.control.waitIdle();
    const b = await emu.control.bindings(REGION);
    expect(b["ins-run00003"]).toEqual(["sg-base0001", "sg-web00001"]);
    expect(b["ins-run00004"]).toEqual(["sg-base0001", "sg-web00001"]);
  });

  test("unknown secretId -> AuthFailure.SecretIdNotFound; malformed one -> AuthFailure.InvalidSecretId", async () => {
    const e1 = await sdkError(
      cvmClient(emu, {
        credential: { secretId: "AKIDUNKNOWN0000000000000000000000", secretKey: "x" },
      }).DescribeInstances({}),
    );
    expect(e1.code).toBe("AuthFailure.SecretIdNotFound");
    const e2 = await sdkError(
      cvmClient(emu, { credential: { secretId: "not a key!", secretKey: "x" } }).DescribeInstances({}),
    );
    expect(e2.code).toBe("AuthFailure.InvalidSecretId");
    const e3 = await sdkError(
      cvmClient(emu, {
        signMethod: "HmacSHA256",
        reqMethod: "GET",
        credential: { secretId: "AKIDNOPE", secretKey: "x" },
      }).DescribeInstances({}),
    );
    expect(e3.code).toBe("AuthFailure.SecretIdNotFound");
  });

  test("timestamp more than 300 s off -> AuthFailure.SignatureExpire (past and future, TC3 and v1)", async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const ts of [now - 301, now + 400]) {
      expectErrorEnvelope(
        await tc3Request(emu, { action: "DescribeInstances", timestamp: ts }),
        "AuthFailure.SignatureExpire",
      );
      expectErrorEnvelope(
        await v1Get(emu, "DescribeInstances", [], { timestamp: ts }),
        "AuthFailure.SignatureExpire",
      );
    }
    // within the window is fine
    const r = await tc3Request(emu, { action: "DescribeInstances", timestamp: now - 200 });
    expect(r.json.Response.Error).toBeUndefined();
  });

  test("temporary credential: correct token accepted, missing or wrong token -> AuthFailure.TokenFailure", async () => {
    for (const v of [{}, { signMethod: "HmacSHA256" as const, reqMethod: "GET" as const }]) {
      const ok = await cvmClient(emu, { ...v, credential: TEMP }).DescribeInstances({ Limit: 1 });
      expect(ok.TotalCount).toBeGreaterThan(0);
      const noToken = await sdkError(
        cvmClient(emu, {
          ...v,
          credential: { secretId: TEMP.secretId, secretKey: TEMP.secretKey },
        }).DescribeInstances({}),
      );
      expect(noToken.code).toBe("AuthFailure.TokenFailure");
      const wrong = await sdkError(
        cvmClient(emu, { ...v, credential: { ...TEMP, token: "other-token" } }).DescribeInstances({}),
      );
      expect(wrong.code).toBe("AuthFailure.TokenFailure");
      expect(wrong.message).not.toContain("other-token");
      expect(wrong.message).not.toContain(TEMP.token);
    }
  });

  test("a permanent key ignores a token it is sent", async () => {
    const r = await cvmClient(emu, { credential: { ...OTHER, token: "whatever" } }).DescribeInstances({
      Limit: 1,
    });
    expect(r.TotalCount).toBeGreaterThan(0);
  });

  test("missing Authorization -> MissingParameter; malformed Authorization -> AuthFailure.SignatureFailure", async () => {
    const base = {
      "Content-Type": "application/json",
      "X-TC-Action": "DescribeInstances",
      "X-TC-Version": "2017-03-12",
      "X-TC-Region": REGION,
      "X-TC-Timestamp": String(Math.floor(Date.now() / 1000)),
    };
    const r1 = await raw(emu, { headers: base, body: "{}" });
    expectErrorEnvelope(r1, "MissingParameter");
    expect(r1.json.Response.Error.Message).toContain("Authorization");
    for (const auth of [
      "Bearer xyz",
      "TC3-HMAC-SHA256 garbage",
      "TC3-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host, Signature=00",
    ]) {
      expectErrorEnvelope(
        await raw(emu, { headers: { ...base, Authorization: auth }, body: "{}" }),
        "AuthFailure.SignatureFailure",
      );
    }
  });

  test("other SDKs' style is accepted too: host signed with the port, service cvm, charset in content-type", async () => {
    const r = await tc3Request(emu, {
      action: "DescribeInstances",
      body: JSON.stringify({ InstanceIds: ["ins-run00001"] }),
      signHost: `127.0.0.1:${emu.port}`,
      contentType: "application/json; charset=utf-8",
      service: "cvm",
      extraHeaders: { "X-TC-RequestClient": "test", "X-TC-TraceId": "abc-123", "X-TC-Language": "en-US" },
    });
    expect(r.json.Response.Error).toBeUndefined();
    expect(r.json.Response.TotalCount).toBe(1);
    expect(r.headers["x-tc-traceid"]).toBe("abc-123");
  });

  test("tampered body, wrong scope date, or SignedHeaders without host -> AuthFailure.SignatureFailure", async () => {
    const ts = Math.floor(Date.now() / 1000);
    const sig = signLocalJsonPost('{"Limit":1}', ts);
    const headers = {
      "Content-Type": "application/json",
      "X-TC-Action": "DescribeInstances",
      "X-TC-Version": "2017-03-12",
      "X-TC-Region": REGION,
      "X-TC-Timestamp": String(ts),
      Authorization: buildTc3Authorization(
        MAIN.secretId,
        sig.credentialScope,
        sig.signedHeaders,
        sig.signature,
      ),
    };
    const good = await raw(emu, { headers, body: '{"Limit":1}' });
    expect(good.json.Response.InstanceSet).toHaveLength(1);
    expectErrorEnvelope(await raw(emu, { headers, body: '{"Limit":2}' }), "AuthFailure.SignatureFailure");

    const otherDay = signLocalJsonPost("{}", ts, { date: "2001-01-01" });
    const r2 = await raw(emu, {
      headers: {
        ...headers,
        Authorization: buildTc3Authorization(
          MAIN.secretId,
          otherDay.credentialScope,
          otherDay.signedHeaders,
          otherDay.signature,
        ),
      },
      body: "{}",
    });
    expectErrorEnvelope(r2, "AuthFailure.SignatureFailure");

    const auth3 = `TC3-HMAC-SHA256 Credential=${MAIN.secretId}/${sig.credentialScope}, SignedHeaders=content-type, Signature=${sig.signature}`;
    expectErrorEnvelope(
      await raw(emu, { headers: { ...headers, Authorization: auth3 }, body: '{"Limit":1}' }),
      "AuthFailure.SignatureFailure",
    );
  });

  test("v1: missing SecretId / Signature / Nonce -> MissingParameter; bad SignatureMethod -> InvalidParameterValue", async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const q = (p: Record<string, string>) => "/?" + new URLSearchParams(p).toString();
    const common = {
      Action: "DescribeInstances",
      Version: "2017-03-12",
      Region: REGION,
      Timestamp: ts,
      Nonce: "1",
    };
    const r1 = await raw(emu, { method: "GET", path: q({ ...common, Signature: "abc" }) });
    expectErrorEnvelope(r1, "MissingParameter");
    expect(r1.json.Response.Error.Message).toContain("SecretId");
    const r2 = await raw(emu, { method: "GET", path: q({ ...common, SecretId: MAIN.secretId }) });
    expectErrorEnvelope(r2, "MissingParameter");
    expect(r2.json.Response.Error.Message).toContain("Signature");
    const { Nonce: _n, ...noNonce } = common;
    const r3 = await raw(emu, {
      method: "GET",
      path: q({ ...noNonce, SecretId: MAIN.secretId, Signature: "abc" }),
    });
    expectErrorEnvelope(r3, "MissingParameter");
    expect(r3.json.Response.Error.Message).toContain("Nonce");
    const r4 = await raw(emu, {
      method: "GET",
      path: q({ ...common, SecretId: MAIN.secretId, Signature: "abc", SignatureMethod: "MD5" }),
    });
    expectErrorEnvelope(r4, "InvalidParameterValue");
  });

  test("secret keys and tokens never appear in logs, the calls log, the state or error messages", async () => {
    logLines.length = 0;
    await sdkError(
      cvmClient(emu, {
        credential: { secretId: MAIN.secretId, secretKey: "wrong-key-zzz" },
      }).DescribeInstances({}),
    );
    await sdkError(cvmClient(emu, { credential: { ...TEMP, token: "bad-token-zzz" } }).DescribeInstances({}));
    await sdkError(
      cvmClient(emu, {
        signMethod: "HmacSHA1",
        reqMethod: "GET",
        credential: { ...TEMP, token: "bad-token-yyy" },
      }).DescribeInstances({}),
    );
    await cvmClient(emu, { credential: TEMP, signMethod: "HmacSHA256", reqMethod: "GET" }).DescribeInstances(
      {},
    );
    await sdkError(
      cvmClient(emu, {
        credential: { ...TEMP, secretKey: "nope" },
        signMethod: "HmacSHA256",
        reqMethod: "GET",
      }).DescribeInstances({}),
    );
    const everything = JSON.stringify([
      logLines,
      await emu.control.calls(),
      await emu.control.state(),
      await emu.control.counters(),
      await emu.control.config(),
    ]);
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of [
      MAIN.secretKey,
      TEMP.secretKey,
      TEMP.token,
      OTHER.secretKey,
      "wrong-key-zzz",
      "bad-token-zzz",
      "bad-token-yyy",
    ]) {
      expect(everything).not.toContain(secret);
    }
    expect(everything).toContain(TEMP.secretId);
  });
});
