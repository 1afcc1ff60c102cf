// HTTP client of the control plane (uses the global fetch of Node >= 18, which
// ignores http_proxy). Usable from any process that knows the emulator's URL.

import type {
  CallRecord,
  Counters,
  Fault,
  FaultInfo,
  Mutation,
  PendingOperationInfo,
  RuntimeConfig,
  RuntimeConfigPatch,
  Seed,
  WorldSnapshot,
} from "./types";

export type ConfigPatch = RuntimeConfigPatch;

export class EmulatorControl {
  private readonly base: string;

  /** `url` is the emulator's base URL, e.g. http://127.0.0.1:PORT */
  constructor(url: string) {
    this.base = url.replace(/\/+$/, "") + "/_emulator";
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.base + path, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = text;
    }
    if (!res.ok) {
      const err = (data as { error?: string } | undefined)?.error ?? text;
      throw new Error(`emulator control ${method} ${path} failed (HTTP ${res.status}): ${err}`);
    }
    return data as T;
  }

  async health(): Promise<boolean> {
    const r = await this.call<{ ok: boolean }>("GET", "/health");
    return r.ok === true;
  }

  /** Back to the given seed or the start seed and the start config; clears faults, counters, calls, rate-limit windows, pending ops. */
  async reset(seed?: Seed): Promise<void> {
    await this.call("POST", "/reset", seed === undefined ? {} : { seed });
  }

  state(): Promise<WorldSnapshot> {
    return this.call("GET", "/state");
  }

  /** instanceId -> ordered SG ids (all regions when `region` is omitted). */
  bindings(region?: string): Promise<Record<string, string[]>> {
    return this.call("GET", "/bindings" + (region ? `?region=${encodeURIComponent(region)}` : ""));
  }

  /** Every API call in order (those with seq > sinceSeq). */
  calls(sinceSeq?: number): Promise<CallRecord[]> {
    return this.call("GET", "/calls" + (sinceSeq ? `?since=${sinceSeq}` : ""));
  }

  counters(): Promise<Counters> {
    return this.call("GET", "/counters");
  }

  config(): Promise<RuntimeConfig> {
    return this.call("GET", "/config");
  }

  async configure(patch: ConfigPatch): Promise<void> {
    await this.call("POST", "/config", patch);
  }

  addFault(f: Fault): Promise<{ id: string }> {
    return this.call("POST", "/faults", f);
  }

  faults(): Promise<FaultInfo[]> {
    return this.call("GET", "/faults");
  }

  async removeFault(id: string): Promise<void> {
    await this.call("DELETE", `/faults/${encodeURIComponent(id)}`);
  }

  async clearFaults(): Promise<void> {
    await this.call("DELETE", "/faults");
  }

  async mutate(m: Mutation): Promise<void> {
    await this.call("POST", "/mutate", m);
  }

  operations(): Promise<PendingOperationInfo[]> {
    return this.call("GET", "/operations");
  }

  /** Completes every pending async operation now; returns how many. */
  async completeOperations(): Promise<number> {
    const r = await this.call<{ completed: number }>("POST", "/operations/complete");
    return r.completed;
  }

  /** Resolves once hold fault `id` keeps at least `count` calls waiting (polls every `pollMs`); rejects after `timeoutMs`. */
  async waitHeld(id: string, count = 1, timeoutMs = 30_000, pollMs = 10): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = (await this.faults()).find((x) => x.id === id);
      if (!f) throw new Error(`no fault ${id}`);
      if ((f.held ?? 0) >= count) return;
      if (Date.now() > deadline)
        throw new Error(`fault ${id} holds ${f.held ?? 0} of ${count} calls after ${timeoutMs} ms`);
      await new Promise((res) => setTimeout(res, pollMs));
    }
  }

  /** Resolves when no operation is OPERATING (polls every `pollMs`); rejects after `timeoutMs`. */
  async waitIdle(timeoutMs = 30_000, pollMs = 10): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.call<{ idle: boolean }>("GET", "/idle");
      if (r.idle) return;
      if (Date.now() > deadline) throw new Error(`emulator not idle after ${timeoutMs} ms`);
      await new Promise((res) => setTimeout(res, pollMs));
    }
  }
}
