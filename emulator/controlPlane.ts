// The control plane: plain JSON over HTTP under /_emulator/ (not a Tencent
// API; no signature, no rate limit, not in the calls log). Routes are listed
// in emulator/README.md. Errors: 400 {error} for bad input, 404 {error} for
// unknown routes, 405 for a wrong method.

import { ConfigError } from "./config";
import type { EmulatorCore } from "./core";
import { FaultValidationError } from "./faults";
import { WorldError } from "./model/world";
import type { Mutation, Seed } from "./types";

export interface ControlReply {
  status: number;
  body: unknown;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function parseJson(body: Buffer, tooLarge: boolean): unknown {
  if (tooLarge) throw new HttpFailure(413, "body too large");
  const text = body.toString("utf8").trim();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpFailure(400, "body is not valid JSON");
  }
}

type Handler = (
  core: EmulatorCore,
  ctx: { query: URLSearchParams; body: () => unknown; params: string[] },
) => unknown;

const routes: { method: string; pattern: RegExp; handler: Handler }[] = [
  { method: "GET", pattern: /^\/health$/, handler: () => ({ ok: true }) },
  {
    method: "POST",
    pattern: /^\/reset$/,
    handler: (core, { body }) => {
      const b = body() as { seed?: Seed } | undefined;
      if (b !== undefined && (typeof b !== "object" || b === null)) {
        throw new HttpFailure(400, "body must be an object");
      }
      if (b?.seed !== undefined && (typeof b.seed !== "object" || b.seed === null || Array.isArray(b.seed))) {
        throw new HttpFailure(400, "seed must be a Seed object (file paths are not accepted over HTTP)");
      }
      core.reset(b?.seed);
      return { ok: true };
    },
  },
  { method: "GET", pattern: /^\/state$/, handler: (core) => core.snapshot() },
  {
    method: "GET",
    pattern: /^\/bindings$/,
    handler: (core, { query }) => core.world.bindings(query.get("region") ?? undefined),
  },
  {
    method: "GET",
    pattern: /^\/calls$/,
    handler: (core, { query }) => core.calls.list(Number(query.get("since") ?? 0) || 0),
  },
  { method: "GET", pattern: /^\/counters$/, handler: (core) => core.calls.getCounters() },
  { method: "GET", pattern: /^\/config$/, handler: (core) => core.config },
  { method: "POST", pattern: /^\/config$/, handler: (core, { body }) => core.configure(body() ?? {}) },
  { method: "GET", pattern: /^\/faults$/, handler: (core) => core.faults.list() },
  { method: "POST", pattern: /^\/faults$/, handler: (core, { body }) => ({ id: core.faults.add(body()) }) },
  {
    method: "DELETE",
    pattern: /^\/faults$/,
    handler: (core) => {
      core.faults.clear();
      return { ok: true };
    },
  },
  {
    method: "DELETE",
    pattern: /^\/faults\/([^/]+)$/,
    handler: (core, { params }) => {
      if (!core.faults.remove(decodeURIComponent(params[0])))
        throw new HttpFailure(404, `no fault ${params[0]}`);
      return { ok: true };
    },
  },
  {
    method: "POST",
    pattern: /^\/mutate$/,
    handler: (core, { body }) => {
      core.mutate(body() as Mutation);
      return { ok: true };
    },
  },
  { method: "GET", pattern: /^\/operations$/, handler: (core) => core.operations() },
  {
    method: "POST",
    pattern: /^\/operations\/complete$/,
    handler: (core) => ({ completed: core.ops.completeAll() }),
  },
  { method: "GET", pattern: /^\/idle$/, handler: (core) => core.idle() },
];

export async function handleControl(
  core: EmulatorCore,
  method: string,
  url: string,
  body: Buffer,
  tooLarge: boolean,
): Promise<ControlReply> {
  const q = url.indexOf("?");
  const fullPath = q < 0 ? url : url.slice(0, q);
  const sub = fullPath.replace(/^\/_emulator/, "").replace(/\/+$/, "") || "/";
  const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
  const matching = routes.filter((r) => r.pattern.test(sub));
  if (!matching.length) return { status: 404, body: { error: `no control route ${method} ${fullPath}` } };
  const route = matching.find((r) => r.method === method.toUpperCase());
  if (!route) return { status: 405, body: { error: `method ${method} not allowed on ${fullPath}` } };
  const params = route.pattern.exec(sub)!.slice(1);
  try {
    const result = route.handler(core, { query, body: () => parseJson(body, tooLarge), params });
    return { status: 200, body: result ?? { ok: true } };
  } catch (e) {
    if (e instanceof HttpFailure) return { status: e.status, body: { error: e.message } };
    if (e instanceof WorldError || e instanceof ConfigError || e instanceof FaultValidationError) {
      return { status: 400, body: { error: e.message } };
    }
    core.log(`control plane error: ${(e as Error).stack ?? e}`);
    return { status: 500, body: { error: "internal error" } };
  }
}
