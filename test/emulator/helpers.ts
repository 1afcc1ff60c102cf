// Shared helpers of the emulator suite: a test seed, SDK clients pointed at
// the emulator, and a raw HTTP client for requests the SDK cannot make.

import * as http from "node:http";
import { startEmulator, type EmulatorOptions, type RunningEmulator, type Seed } from "../../emulator";
import { uniformRateLimits } from "../../emulator/rateLimiter";
import { buildTc3Authorization, signTc3, signV1, v1StringToSign } from "../../emulator/protocol/signature";

// The SDK sends everything through http_proxy when it is set.
for (const k of ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"]) delete process.env[k];

const { cvm } = require("tencentcloud-sdk-nodejs-cvm");
const { CommonClient } = require("tencentcloud-sdk-nodejs-common");

export const MAIN = {
  secretId: "AKIDTESTMAIN0000000000000000000000",
  secretKey: "test-main-secret-key-000000000000",
};
export const OTHER = {
  secretId: "AKIDTESTOTHER000000000000000000000",
  secretKey: "test-other-secret-key-00000000000",
};
export const TEMP = {
  secretId: "AKIDTESTTEMP0000000000000000000000",
  secretKey: "test-temp-secret-key-000000000000",
  token: "test-session-token-0000000000000000",
};

export const REGION = "ap-guangzhou";

/** 25 RUNNING instances ins-run000NN holding sg-base0001, plus special ones. */
export function testSeed(): Seed {
  const run = Array.from({ length: 25 }, (_, i) => ({
    id: `ins-run${String(i + 1).padStart(5, "0")}`,
    zone: i % 2 ? "ap-guangzhou-3" : "ap-guangzhou-4",
    state: "RUNNING",
    securityGroupIds: ["sg-base0001"],
  }));
  return {
    credentials: [MAIN, OTHER, TEMP],
    regions: {
      [REGION]: {
        securityGroups: [
          { id: "sg-base0001", name: "base" },
          { id: "sg-web00001", name: "web" },
          { id: "sg-db000001", name: "db" },
          { id: "sg-ops00001", name: "ops" },
          { id: "sg-ext00001", name: "ext-1" },
          { id: "sg-ext00002", name: "ext-2" },
          { id: "sg-ext00003", name: "ext-3" },
        ],
        instances: [
          ...run,
          { id: "ins-pend0001", zone: "ap-guangzhou-3", state: "PENDING", securityGroupIds: ["sg-base0001"] },
          {
            id: "ins-isol0001",
            zone: "ap-guangzhou-3",
            state: "ISOLATING",
            securityGroupIds: ["sg-base0001"],
          },
          { id: "ins-stop0001", zone: "ap-guangzhou-3", state: "STOPPED", securityGroupIds: ["sg-base0001"] },
          {
            id: "ins-full0001",
            zone: "ap-guangzhou-3",
            state: "RUNNING",
            securityGroupIds: ["sg-base0001", "sg-web00001", "sg-db000001", "sg-ops00001", "sg-ext00001"],
          },
          { id: "ins-empty001", zone: "ap-guangzhou-3", state: "RUNNING", securityGroupIds: [] },
        ],
      },
      "ap-shanghai": {
        securityGroups: [{ id: "sg-shsh0001", name: "sh" }],
        instances: [{ id: "ins-shsh0001", zone: "ap-shanghai-2", securityGroupIds: ["sg-shsh0001"] }],
      },
    },
  };
}

export const NO_RATE_LIMITS = uniformRateLimits(0);

/** A clock for EmulatorOptions.clock that moves only when told: `set` and `advance` (ms). */
export class ManualClock {
  private ms = Date.now();
  readonly now = (): number => this.ms;
  set(ms: number): void {
    this.ms = ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export function start(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ seed: testSeed(), operationLatencyMs: 40, ...options });
}

export interface ClientOpts {
  credential?: { secretId: string; secretKey: string; token?: string };
  region?: string | null;
  signMethod?: "TC3-HMAC-SHA256" | "HmacSHA256" | "HmacSHA1";
  reqMethod?: "GET" | "POST";
  timeoutS?: number;
}

function profile(emu: RunningEmulator, o: ClientOpts) {
  return {
    ...(o.signMethod ? { signMethod: o.signMethod } : {}),
    httpProfile: {
      endpoint: `127.0.0.1:${emu.port}`,
      protocol: "http://",
      ...(o.reqMethod ? { reqMethod: o.reqMethod } : {}),
      reqTimeout: o.timeoutS ?? 10,
    },
  };
}

/** The official CVM client (tencentcloud-sdk-nodejs-cvm) pointed at the emulator. */
export function cvmClient(emu: RunningEmulator, o: ClientOpts = {}): any {
  return new cvm.v20170312.Client({
    credential: o.credential ?? MAIN,
    region: o.region === null ? undefined : (o.region ?? REGION),
    profile: profile(emu, o),
  });
}

/** The SDK's CommonClient, for VPC actions and for arbitrary action/version pairs. */
export function commonClient(
  emu: RunningEmulator,
  service = "vpc",
  version = "2017-03-12",
  o: ClientOpts = {},
): { request(action: string, req: unknown): Promise<any> } {
  return new CommonClient(`${service}.tencentcloudapi.com`, version, {
    credential: o.credential ?? MAIN,
    region: o.region === null ? undefined : (o.region ?? REGION),
    profile: profile(emu, o),
  });
}

/** Runs `p` and returns the SDK error (fails the test if it resolves). */
export async function sdkError(
  p: Promise<unknown>,
): Promise<{ code?: string; message: string; requestId?: string; httpCode?: number }> {
  try {
    await p;
  } catch (e) {
    return e as any;
  }
  throw new Error("expected the call to fail");
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json?: any;
  dropped?: boolean;
}

/** Sends exactly what it is given; `dropped` when the server closed the connection without a reply. */
export function raw(
  emu: RunningEmulator,
  req: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body =
      req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
    const r = http.request(
      {
        host: "127.0.0.1",
        port: emu.port,
        method: req.method ?? "POST",
        path: req.path ?? "/",
        headers: { ...(body ? { "Content-Length": String(body.length) } : {}), ...(req.headers ?? {}) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: any;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on("error", () => resolve({ status: 0, headers: {}, text: "", dropped: true }));
      },
    );
    r.on("error", (e: NodeJS.ErrnoException) => {
      if (
        ["ECONNRESET", "EPIPE", "ECONNREFUSED"].includes(e.code ?? "") ||
        /socket hang up/.test(e.message)
      ) {
        if (e.code === "ECONNREFUSED") reject(e);
        else resolve({ status: 0, headers: {}, text: "", dropped: true });
      } else reject(e);
    });
    if (body) r.write(body);
    r.end();
  });
}

export interface Tc3RequestOpts {
  action: string;
  body?: string;
  version?: string;
  region?: string | null;
  credential?: { secretId: string; secretKey: string; token?: string };
  timestamp?: number;
  service?: string;
  contentType?: string;
  /** Host value to sign (default "127.0.0.1", i.e. without port like the Node SDK). */
  signHost?: string;
  extraHeaders?: Record<string, string>;
}

/** A TC3-signed JSON POST built by hand (independently of the SDK). */
export function tc3Request(emu: RunningEmulator, o: Tc3RequestOpts): Promise<RawResponse> {
  const cred: { secretId: string; secretKey: string; token?: string } = o.credential ?? MAIN;
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  const body = o.body ?? "{}";
  const contentType = o.contentType ?? "application/json";
  const sig = signTc3({
    method: "POST",
    path: "/",
    query: "",
    headers: [
      ["content-type", contentType],
      ["host", o.signHost ?? "127.0.0.1"],
    ],
    payload: body,
    timestamp,
    service: o.service ?? "cvm",
    secretKey: cred.secretKey,
  });
  const headers: Record<string, string> = {
    "Content-Type": contentType,
    Host: `127.0.0.1:${emu.port}`,
    "X-TC-Action": o.action,
    "X-TC-Version": o.version ?? "2017-03-12",
    "X-TC-Timestamp": String(timestamp),
    Authorization: buildTc3Authorization(
      cred.secretId,
      sig.credentialScope,
      sig.signedHeaders,
      sig.signature,
    ),
    ...(o.region === null ? {} : { "X-TC-Region": o.region ?? REGION }),
    ...(cred.token ? { "X-TC-Token": cred.token } : {}),
    ...(o.extraHeaders ?? {}),
  };
  return raw(emu, { method: "POST", headers, body });
}

/** A v1-signed (HmacSHA256) GET with the given action parameters, built by hand. */
export function v1Get(
  emu: RunningEmulator,
  action: string,
  params: [string, string][],
  o: {
    credential?: { secretId: string; secretKey: string; token?: string };
    region?: string;
    timestamp?: number;
  } = {},
): Promise<RawResponse> {
  const cred: { secretId: string; secretKey: string; token?: string } = o.credential ?? MAIN;
  const all: [string, string][] = [
    ...params,
    ["Action", action],
    ["Version", "2017-03-12"],
    ["Region", o.region ?? REGION],
    ["Timestamp", String(o.timestamp ?? Math.floor(Date.now() / 1000))],
    ["Nonce", "12345"],
    ["SecretId", cred.secretId],
    ["SignatureMethod", "HmacSHA256"],
    ...(cred.token ? ([["Token", cred.token]] as [string, string][]) : []),
  ];
  const host = `127.0.0.1:${emu.port}`;
  const signature = signV1(v1StringToSign("GET", host, "/", all), cred.secretKey, "HmacSHA256");
  const qs = new URLSearchParams([...all, ["Signature", signature]]).toString();
  return raw(emu, { method: "GET", path: "/?" + qs, headers: { Host: host } });
}

export function expectErrorEnvelope(r: RawResponse, code?: string): void {
  expect(r.dropped).toBeFalsy();
  expect(r.headers["content-type"]).toBe("application/json");
  expect(r.json?.Response?.Error?.Code).toEqual(expect.any(String));
  expect(r.json.Response.Error.Message).toEqual(expect.any(String));
  expect(r.json.Response.RequestId).toMatch(/^[0-9a-f-]{36}$/);
  if (code !== undefined) expect(r.json.Response.Error.Code).toBe(code);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
