import * as net from "node:net";
import type { RunningEmulator } from "../../emulator";
import { V1_COMMON_PARAMS } from "../../emulator/protocol/request";
import {
  cvmClient,
  expectErrorEnvelope,
  MAIN,
  NO_RATE_LIMITS,
  raw,
  REGION,
  start,
  tc3Request,
  testSeed,
  v1Get,
  type RawResponse,
} from "./helpers";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await start({ rateLimits: NO_RATE_LIMITS, operationLatencyMs: 30 });
});
afterAll(() => emu.stop());
// Each test starts from the seed and the start config, whatever the one before it left.
beforeEach(() => emu.control.reset());

describe("envelope and protocol edges", () => {
  test("success reply: HTTP 200, Content-Type exactly application/json, {Response:{..., RequestId}}", async () => {
    const r = await tc3Request(emu, { action: "DescribeInstances", body: '{"Limit":1}' });
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(Object.keys(r.json)).toEqual(["Response"]);
    expect(r.json.Response.RequestId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(r.json.Response.TotalCount).toBe(30);
  });

  test("malformed JSON / non-object body -> InvalidParameter", async () => {
    for (const body of ["{", '{"Limit":', "[1,2]", '"str"', "null", "\u0000\u0001"]) {
      expectErrorEnvelope(await tc3Request(emu, { action: "DescribeInstances", body }), "InvalidParameter");
    }
  });

  test("body over 1 MB -> RequestSizeLimitExceeded", async () => {
    const body = JSON.stringify({
      InstanceIds: Array.from({ length: 90_000 }, (_, i) => `ins-${String(i).padStart(8, "0")}`),
    });
    expect(body.length).toBeGreaterThan(1024 * 1024);
    expectErrorEnvelope(
      await tc3Request(emu, { action: "DescribeInstances", body }),
      "RequestSizeLimitExceeded",
    );
  });

  test("methods other than GET/POST -> UnsupportedProtocol; unsupported content type -> InvalidParameter", async () => {
    for (const method of ["PUT", "DELETE", "PATCH", "OPTIONS"]) {
      expectErrorEnvelope(
        await raw(emu, { method, headers: { "X-TC-Action": "DescribeInstances" } }),
        "UnsupportedProtocol",
      );
    }
    expectErrorEnvelope(
      await tc3Request(emu, { action: "DescribeInstances", contentType: "text/plain" }),
      "InvalidParameter",
    );
  });

  test("v1 GET indexed params: parsed like JSON; gaps, bare arrays, duplicates -> InvalidParameter; extras -> UnknownParameter", async () => {
    const ok = await v1Get(emu, "DescribeInstances", [
      ["Filters.0.Name", "instance-id"],
      ["Filters.0.Values.0", "ins-run00001"],
      ["Filters.0.Values.1", "ins-run00002"],
      ["Limit", "1"],
    ]);
    expect(ok.json.Response.TotalCount).toBe(2);
    expect(ok.json.Response.InstanceSet).toHaveLength(1);
    expectErrorEnvelope(
      await v1Get(emu, "DescribeInstances", [["InstanceIds.1", "ins-run00001"]]),
      "InvalidParameter",
    );
    expectErrorEnvelope(
      await v1Get(emu, "DescribeInstances", [["InstanceIds", "ins-run00001"]]),
      "InvalidParameter",
    );
    expectErrorEnvelope(
      await v1Get(emu, "DescribeInstances", [
        ["InstanceIds.0", "a"],
        ["InstanceIds.0", "b"],
      ]),
      "InvalidParameter",
    );
    expectErrorEnvelope(
      await v1Get(emu, "DescribeInstances", [["InstanceIds.0.x", "a"]]),
      "InvalidParameter",
    );
    expectErrorEnvelope(await v1Get(emu, "DescribeInstances", [["InstanceIds..0", "a"]]), "InvalidParameter");
    expectErrorEnvelope(await v1Get(emu, "DescribeInstances", [["Limit", "1.5"]]), "InvalidParameter");
    const unk = await v1Get(emu, "DescribeInstances", [
      ["Filters.0.Name", "zone"],
      ["Filters.0.Values.0", "x"],
      ["Filters.0.Colour", "red"],
    ]);
    expectErrorEnvelope(unk, "UnknownParameter");
    expect(unk.json.Response.Error.Message).toContain("Filters.0.Colour");
    const assoc = await v1Get(emu, "AssociateSecurityGroups", [
      ["SecurityGroupIds.0", "sg-web00001"],
      ["InstanceIds.0", "ins-run00021"],
      ["InstanceIds.1", "ins-run00022"],
    ]);
    expect(assoc.json.Response.Error).toBeUndefined();
    await emu.control.waitIdle();
    expect((await emu.control.bindings(REGION))["ins-run00022"]).toEqual(["sg-base0001", "sg-web00001"]);
  });

  test("__proto__ and friends are just unknown parameters", async () => {
    for (const body of ['{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}']) {
      expectErrorEnvelope(await tc3Request(emu, { action: "DescribeInstances", body }), "UnknownParameter");
    }
    expectErrorEnvelope(
      await v1Get(emu, "DescribeInstances", [["__proto__.polluted", "1"]]),
      "UnknownParameter",
    );
    expectErrorEnvelope(await tc3Request(emu, { action: "__proto__" }), "InvalidAction");
    expect(({} as any).polluted).toBeUndefined();
    expect(Object.keys((await emu.control.counters()).byAction)).toContain("__proto__");
  });

  test("malformed HTTP gets a JSON 400 and the server keeps serving", async () => {
    const reply = await new Promise<string>((resolve) => {
      const s = net.connect(emu.port, "127.0.0.1", () => s.write("THIS IS NOT HTTP\r\n\r\n"));
      let data = "";
      s.on("data", (d) => (data += d.toString()));
      s.on("close", () => resolve(data));
      s.on("error", () => resolve(data));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect(reply).toContain("Content-Type: application/json");
    expect(JSON.parse(reply.slice(reply.indexOf("\r\n\r\n") + 4)).Response.Error.Code).toBe(
      "InvalidParameter",
    );
    expect((await cvmClient(emu).DescribeInstances({ Limit: 1 })).TotalCount).toBe(30);
  });
});

describe("concurrency", () => {
  test("200 requests in parallel through the SDK: all answered, the 100 associates all applied", async () => {
    const seed = testSeed();
    seed.regions[REGION].instances = Array.from({ length: 100 }, (_, i) => ({
      id: `ins-par${String(i).padStart(5, "0")}`,
      securityGroupIds: ["sg-base0001"],
    }));
    const e = await start({ seed, rateLimits: NO_RATE_LIMITS, operationLatencyMs: 30 });
    try {
      const c = cvmClient(e, { timeoutS: 20 });
      const ps: Promise<any>[] = [];
      for (let i = 0; i < 100; i++) {
        ps.push(
          c.AssociateSecurityGroups({
            SecurityGroupIds: ["sg-web00001"],
            InstanceIds: [`ins-par${String(i).padStart(5, "0")}`],
          }),
        );
        ps.push(c.DescribeInstances({ Offset: i % 90, Limit: 10 }));
      }
      const rs = await Promise.all(ps);
      const ids = rs.map((r) => r.RequestId);
      expect(new Set(ids).size).toBe(200);
      await e.control.waitIdle();
      const b = await e.control.bindings(REGION);
      expect(Object.values(b).every((l) => l.join() === "sg-base0001,sg-web00001")).toBe(true);
      const counters = await e.control.counters();
      expect(counters.byAction.AssociateSecurityGroups).toEqual({ total: 100, ok: 100, errors: {} });
      expect(counters.byAction.DescribeInstances).toEqual({ total: 100, ok: 100, errors: {} });
    } finally {
      await e.stop();
    }
  });

  test("20 identical associates in parallel: exactly one accepted, the rest MutexOperation.TaskRunning", async () => {
    await emu.control.configure({ operationLatencyMs: 30_000 });
    const c = cvmClient(emu);
    const rs = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        c.AssociateSecurityGroups({
          SecurityGroupIds: ["sg-web00001"],
          InstanceIds: ["ins-run00001", "ins-run00002"],
        }),
      ),
    );
    expect(rs.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const codes = rs
      .filter((r): r is PromiseRejectedResult => r.status === "rejected")
      .map((r) => r.reason.code);
    expect(codes).toEqual(Array(19).fill("MutexOperation.TaskRunning"));
    await emu.control.completeOperations();
  });
});

describe("fuzz", () => {
  // Deterministic PRNG so a failure can be replayed.
  function rng(seed: number) {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  test("400 random malformed requests each get a well-formed JSON envelope; the server stays alive", async () => {
    const rand = rng(20240501);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const asciiJunk = (n: number) =>
      Array.from({ length: n }, () => String.fromCharCode(0x21 + Math.floor(rand() * 94))).join("");
    const junkString = (n: number) =>
      Array.from({ length: n }, () => String.fromCharCode(Math.floor(rand() * 0x2ff))).join("");
    const actions = [
      "DescribeInstances",
      "AssociateSecurityGroups",
      "DisassociateSecurityGroups",
      "DescribeSecurityGroups",
      "Nope",
      "",
    ];
    const values: unknown[] = [
      null,
      true,
      -1,
      1e308,
      3.5,
      "",
      "ins-run00001",
      "sg-web00001",
      [],
      [1, 2],
      ["ins-run00001"],
      ["sg-web00001"],
      { a: 1 },
      [{ Name: "zone", Values: ["ap-guangzhou-3"] }],
      [{ Name: 5, Values: "x" }],
      Array.from({ length: 500 }, (_, i) => `ins-${i}`),
      "x".repeat(10_000),
    ];
    const keys = ["InstanceIds", "SecurityGroupIds", "Filters", "Offset", "Limit", "Foo", "instanceids", ""];

    const generators: (() => Promise<RawResponse>)[] = [
      // garbage JSON, correctly signed
      () =>
        tc3Request(emu, {
          action: pick(actions) || "DescribeInstances",
          body: junkString(Math.floor(rand() * 200)),
        }),
      // well-formed JSON with random keys and wrongly-typed values, correctly signed
      () => {
        const body: Record<string, unknown> = {};
        const n = Math.floor(rand() * 4);
        for (let i = 0; i < n; i++) body[pick(keys)] = pick(values);
        return tc3Request(emu, {
          action: pick(actions) || "DescribeInstances",
          body: JSON.stringify(body),
          region: pick([REGION, "ap-nowhere", "", null]) as any,
        });
      },
      // missing / odd headers
      () => {
        const headers: Record<string, string> = {
          "Content-Type": pick([
            "application/json",
            "application/x-www-form-urlencoded",
            "text/xml",
            "multipart/form-data; boundary=x",
            "",
          ]),
          "X-TC-Action": pick(actions),
          "X-TC-Version": pick(["2017-03-12", "2099-01-01", ""]),
          "X-TC-Region": pick([REGION, "mars-1", ""]),
          "X-TC-Timestamp": pick([
            String(Math.floor(Date.now() / 1000)),
            "yesterday",
            "-5",
            "99999999999999",
            "",
          ]),
          Authorization: pick([
            "",
            "TC3-HMAC-SHA256",
            "garbage",
            `TC3-HMAC-SHA256 Credential=${MAIN.secretId}/2020-01-01/cvm/tc3_request, SignedHeaders=content-type;host, Signature=${"0".repeat(64)}`,
          ]),
        };
        for (const k of Object.keys(headers)) if (rand() < 0.3 || headers[k] === "") delete headers[k];
        return raw(emu, { method: "POST", headers, body: pick(["{}", "", "Limit=1", '{"Limit":1}']) });
      },
      // garbage signatures on otherwise valid requests
      () =>
        raw(emu, {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            "X-TC-Action": "DescribeInstances",
            "X-TC-Version": "2017-03-12",
            "X-TC-Region": REGION,
            "X-TC-Timestamp": String(Math.floor(Date.now() / 1000)),
            Authorization: `TC3-HMAC-SHA256 Credential=${pick([MAIN.secretId, "AKIDX", "AKID/../x", asciiJunk(12)])}/${new Date().toISOString().slice(0, 10)}/${pick(["cvm", "127", "x y"])}/tc3_request, SignedHeaders=${pick(["content-type;host", "host", "content-type;host;x-tc-action", "a;b"])}, Signature=${pick(["0".repeat(64), "zz", asciiJunk(64)])}`,
          },
          body: "{}",
        }),
      // v1 query junk
      () => {
        const parts: string[] = [];
        const n = 1 + Math.floor(rand() * 8);
        for (let i = 0; i < n; i++) {
          const k = pick([
            ...V1_COMMON_PARAMS.slice(0, 8),
            "InstanceIds.0",
            "InstanceIds.99999",
            "Filters.0.Values.x",
            "%ZZ",
            "a.b.c.d.e.f.g.h.i.j",
            "Limit",
          ]);
          const v = pick([
            "DescribeInstances",
            "2017-03-12",
            REGION,
            "1",
            "%E0%A4%A",
            "HmacSHA1",
            "MD5",
            MAIN.secretId,
            junkString(5),
          ]);
          parts.push(`${k}=${encodeURIComponent(v)}`);
        }
        return raw(emu, {
          method: pick(["GET", "POST"]),
          path: "/?" + parts.join("&"),
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: pick(["", parts.join("&")]),
        });
      },
      // huge but under the cap, and over the cap
      () => {
        const body =
          rand() < 0.85
            ? JSON.stringify({ InstanceIds: Array.from({ length: 3000 }, (_, i) => `ins-${i}`) })
            : "x".repeat(1024 * 1024 + 10);
        return tc3Request(emu, { action: pick(["DescribeInstances", "AssociateSecurityGroups"]), body });
      },
      // wrong methods
      () =>
        raw(emu, { method: pick(["PUT", "DELETE", "PATCH", "OPTIONS"]), path: "/?Action=DescribeInstances" }),
    ];

    const results: RawResponse[] = [];
    const batches = 8;
    for (let b = 0; b < batches; b++) {
      results.push(...(await Promise.all(Array.from({ length: 50 }, () => pick(generators)()))));
    }
    expect(results).toHaveLength(400);
    const codes = new Map<string, number>();
    for (const r of results) {
      expect(r.dropped).toBeFalsy();
      expect(r.status).toBe(200);
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.json?.Response?.RequestId).toMatch(/^[0-9a-f-]{36}$/);
      const err = r.json.Response.Error;
      if (err) {
        expect(typeof err.Code).toBe("string");
        expect(typeof err.Message).toBe("string");
        expect(err.Code).not.toBe("InternalError");
        codes.set(err.Code, (codes.get(err.Code) ?? 0) + 1);
      }
    }
    expect(codes.size).toBeGreaterThanOrEqual(8);
    // still alive and consistent
    expect((await cvmClient(emu).DescribeInstances({ Limit: 1 })).TotalCount).toBe(30);
    expect((await emu.control.calls()).length).toBeGreaterThanOrEqual(400);
  });
});
