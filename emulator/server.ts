// The HTTP front: reads bodies (capped), routes `/_emulator/*` to the control
// plane and everything else through the API pipeline:
//   parse -> authenticate -> action -> version -> region -> rate limit
//   -> faults -> parameters -> action handler -> envelope.

import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { findAction } from "./actions";
import { handleControl } from "./controlPlane";
import type { EmulatorCore } from "./core";
import { ApiFault, apiFault, msg } from "./errors";
import { authenticate } from "./protocol/auth";
import { errorBody, newRequestId, send, successBody } from "./protocol/envelope";
import { METADATA_ROLE_PREFIX, metadataReply } from "./protocol/metadata";
import { decodeParams, peekStringArray } from "./protocol/params";
import { header, parseRequest, peekRequest, type ParamInput, type RawHttpRequest } from "./protocol/request";

/** API bodies above this size get RequestSizeLimitExceeded. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Control-plane bodies (seeds) may be larger. */
const MAX_CONTROL_BODY_BYTES = 16 * 1024 * 1024;
/** Beyond this the connection is simply closed. */
const HARD_BODY_LIMIT = 64 * 1024 * 1024;

const CONTROL_PREFIX = "/_emulator";

/** Idle keep-alive connections are closed after this long (like many API gateways). */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

interface BodyResult {
  body: Buffer;
  tooLarge: boolean;
}

function readBody(req: http.IncomingMessage, limit: number): Promise<BodyResult | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > HARD_BODY_LIMIT) {
        req.socket.destroy();
        resolve(null);
        return;
      }
      if (size > limit) tooLarge = true;
      else chunks.push(c);
    });
    req.on("end", () => resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge }));
    req.on("error", () => resolve(null));
    req.on("aborted", () => resolve(null));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

export class EmulatorHttpServer {
  readonly server: http.Server;
  private stopped = false;
  private readonly sockets = new Set<Socket>();

  constructor(readonly core: EmulatorCore) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        this.core.log(`internal error: ${(e as Error).stack ?? e}`);
        send(res, 500, errorBody("InternalError", "An internal error occurred.", newRequestId()));
      });
    });
    // Node's global agent (used by the SDK) keeps idle sockets for 5 s; closing
    // ours later avoids the reuse-vs-close race that surfaces as ECONNRESET.
    this.server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    this.server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
    this.server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    // Malformed HTTP: answer with a JSON envelope rather than node's bare 400.
    this.server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable || (err as { code?: string }).code === "ECONNRESET") {
        socket.destroy();
        return;
      }
      const body = errorBody("InvalidParameter", "The HTTP request is malformed.", newRequestId());
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  async close(): Promise<void> {
    this.stopped = true;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const s of this.sockets) s.destroy();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const pathOnly = url.split("?")[0];
    const isControl = pathOnly === CONTROL_PREFIX || pathOnly.startsWith(CONTROL_PREFIX + "/");
    // Real time: the call log records real traffic (EmulatorOptions.clock is for behaviour).
    const receivedAt = Date.now();
    const read = await readBody(req, isControl ? MAX_CONTROL_BODY_BYTES : MAX_BODY_BYTES);
    if (!read) return;
    if (pathOnly.startsWith(METADATA_ROLE_PREFIX) && req.method === "GET") {
      const out = metadataReply(
        this.core.identity,
        pathOnly,
        this.core.clock(),
        this.core.config.stsTokenLifetimeSeconds,
      );
      send(res, out.status, out.body);
      return;
    }
    if (isControl) {
      const out = await handleControl(this.core, req.method ?? "GET", url, read.body, read.tooLarge);
      send(res, out.status, JSON.stringify(out.body));
      return;
    }
    await this.handleApi(req, res, read, receivedAt);
  }

  private async handleApi(req: http.IncomingMessage, res: http.ServerResponse, read: BodyResult, at: number) {
    const core = this.core;
    const raw: RawHttpRequest = {
      method: req.method ?? "GET",
      url: req.url ?? "/",
      headers: req.headers,
      body: read.body,
    };
    const requestId = newRequestId();
    const peek = peekRequest(raw);
    let { action, region, secretId } = peek;
    let params: ParamInput | undefined;
    let fault: string | undefined;
    const traceId = header(req.headers, "x-tc-traceid");
    const extra: Record<string, string> =
      traceId && /^[\w.-]{1,128}$/.test(traceId) ? { "X-TC-TraceId": traceId } : {};

    const finish = (httpStatus: number, errorCode?: string, errorMessage?: string) => {
      const securityGroupIds =
        peekStringArray(params, "SecurityGroupIds") ?? peekStringArray(params, "SecurityGroups");
      const instanceIds = peekStringArray(params, "InstanceIds");
      core.calls.record({
        at,
        action,
        region,
        secretId,
        ...(securityGroupIds ? { securityGroupIds } : {}),
        ...(instanceIds ? { instanceIds } : {}),
        ...(errorCode !== undefined ? { errorCode } : {}),
        ...(errorMessage !== undefined ? { errorMessage } : {}),
        requestId,
        httpStatus,
        ...(fault ? { fault } : {}),
      });
      core.log(
        `${new Date(at).toISOString()} ${action || "-"} ${region || "-"} ${secretId || "-"} -> ${errorCode ?? "OK"} ` +
          `[${httpStatus}] ${requestId} ${Date.now() - at}ms`,
      );
    };
    const drop = () => {
      res.destroy();
      req.socket.destroy();
      finish(0, "DROPPED");
    };

    try {
      if (read.tooLarge) {
        throw apiFault(
          "RequestSizeLimitExceeded",
          `The request body exceeds the limit of ${MAX_BODY_BYTES} bytes.`,
        );
      }
      const apiReq = parseRequest(raw);
      action = apiReq.action;
      region = apiReq.region ?? "";
      params = apiReq.params;
      if (apiReq.secretId !== undefined) secretId = apiReq.secretId;

      secretId = authenticate(apiReq, core, core.clock(), (l) => core.log(`auth: ${l}`)).secretId;

      const def = findAction(action);
      if (!def) throw apiFault("InvalidAction", `The action \`${action}\` does not exist.`);
      if (apiReq.version === undefined || apiReq.version === "") {
        throw apiFault("MissingParameter", msg.missing(apiReq.style === "tc3" ? "X-TC-Version" : "Version"));
      }
      if (apiReq.version !== def.version) {
        throw apiFault(
          "NoSuchVersion",
          `The version \`${apiReq.version}\` of action \`${action}\` does not exist; use ${def.version}.`,
        );
      }
      if (!def.global && !apiReq.region)
        throw apiFault("MissingParameter", msg.missing(apiReq.style === "tc3" ? "X-TC-Region" : "Region"));
      if (!def.global && !core.world.region(apiReq.region!)) {
        throw apiFault("UnsupportedRegion", `The region \`${apiReq.region}\` is not supported.`);
      }
      if (!core.rateLimiter.admit(action, secretId, core.clock())) {
        throw apiFault(
          "RequestLimitExceeded",
          `Your request frequency of ${action} is over the limit of ${core.rateLimiter.limitFor(action)} requests per second.`,
        );
      }

      const decision = core.faults.decide(action, peekStringArray(params, "InstanceIds"));
      if (decision.latencyMs > 0) await sleep(decision.latencyMs);
      if (this.stopped) return;
      const outcome = decision.outcome;
      if (outcome) fault = outcome.fault;
      if (outcome?.kind === "error") throw outcome.error;
      if (outcome?.kind === "http") {
        send(
          res,
          outcome.status,
          errorBody("InternalError", `HTTP ${outcome.status} (injected)`, requestId),
          extra,
        );
        finish(outcome.status, `HTTP_${outcome.status}`);
        return;
      }
      if (outcome?.kind === "drop" && !outcome.afterCommit) return drop();

      const typed = decodeParams(def.schema, apiReq.params);
      const fields = def.handler(typed, {
        world: core.world,
        ops: core.ops,
        rules: core.rules,
        region: apiReq.region ?? "",
        requestId,
        identity: core.identity,
        callerSecretId: secretId,
        nowMs: core.clock(),
        stsTokenLifetimeSeconds: core.config.stsTokenLifetimeSeconds,
        operationFailures: (a, ids) => core.faults.operationFailures(a, ids),
      });
      if (outcome?.kind === "drop") return drop();
      send(res, 200, successBody(fields, requestId), extra);
      finish(200);
    } catch (e) {
      if (e instanceof ApiFault) {
        send(res, 200, errorBody(e.code, e.message, requestId), extra);
        finish(200, e.code, e.message);
        return;
      }
      core.log(`internal error in ${action}: ${(e as Error).stack ?? e}`);
      send(res, 200, errorBody("InternalError", "An internal error occurred.", requestId), extra);
      finish(200, "InternalError", "An internal error occurred.");
    }
  }
}
