import { credentialProvider, SdkTransport } from "../../provider/impl/api";
import { implementation, resetForTests, stats } from "../../provider/impl/index";
import { parseEndpoint } from "../../provider/impl/settings";
import { bindingCalls, create, lastSeq, useHarness } from "./helpers";
import { ins, makeSeed, REGION, SECRET_ID, SECRET_KEY, sg, TOKEN } from "./world";

// The harness resets the emulator to its start config (30 ms operations, the default rate limits) before each test.
const h = useHarness({ seed: makeSeed({ instances: 300, sgs: 30 }) });

/** Sets provider tuning env for one test; afterEach puts the harness's back, even when the test fails. */
const tuned: Record<string, string | undefined> = {};
function tune(env: Record<string, string>): void {
  for (const [k, v] of Object.entries(env)) {
    if (!(k in tuned)) tuned[k] = process.env[k];
    process.env[k] = v;
  }
  resetForTests();
}
afterEach(() => {
  for (const [k, v] of Object.entries(tuned)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
    delete tuned[k];
  }
  resetForTests();
});

function range(from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(ins(i));
  return out;
}

/** Largest number of calls of `action` inside any 1000 ms window. */
function maxPerSecond(calls: { at: number; action: string }[], action: string): number {
  const ts = calls.filter((c) => c.action === action).map((c) => c.at);
  let best = 0;
  for (let i = 0; i < ts.length; i++) {
    let j = i;
    while (j < ts.length && ts[j] - ts[i] < 1000) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

describe("coalescing and sequencing", () => {
  it("20 creates at once for the same SG go out as one Associate request", async () => {
    // A batch goes when full (40 instances) or after 5 s without an arrival: the 20 fill one
    // request however slow the machine, and a scheduler that did not gather sends several.
    tune({
      SGATTACH_MAX_BATCH_SIZE: "40",
      SGATTACH_GATHER_WINDOW_MS: "5000",
      SGATTACH_GATHER_MAX_MS: "30000",
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, k) => create(sg(1), [ins(2 * k + 1), ins(2 * k + 2)])),
    );
    expect(results).toHaveLength(20);
    const assoc = (await bindingCalls(h.emu)).filter((c) => c.action === "AssociateSecurityGroups");
    expect(assoc).toHaveLength(1);
    expect(assoc[0].instanceIds!.slice().sort()).toEqual(range(1, 40));
    const describes = (await h.emu.control.calls()).filter((c) => c.action === "DescribeInstances");
    expect(describes.length).toBeLessThanOrEqual(20);
    const w = await h.bindings();
    for (const id of range(1, 40)) expect(w[id]).toEqual([sg(99), sg(1)]);
    // Their deletes coalesce the same way.
    const seq = await lastSeq(h.emu);
    await Promise.all(results.map((r) => implementation.delete(r.id, r.outs)));
    const dis = (await bindingCalls(h.emu, seq)).filter((c) => c.action === "DisassociateSecurityGroups");
    expect(dis).toHaveLength(1);
    const after = await h.bindings();
    for (const id of range(1, 40)) expect(after[id]).toEqual([sg(99)]);
  });

  it("one resource with 250 instances uses requests of at most 100", async () => {
    const r = await create(sg(2), range(1, 250));
    expect(r.outs.instanceIds).toHaveLength(250);
    const calls = await h.emu.control.calls();
    const assoc = calls.filter((c) => c.action === "AssociateSecurityGroups");
    expect(assoc.map((c) => c.instanceIds!.length).sort((a, b) => b - a)).toEqual([100, 100, 50]);
    for (const c of calls) expect((c.instanceIds ?? []).length).toBeLessThanOrEqual(100);
    expect(calls.filter((c) => c.errorCode)).toEqual([]);
  });

  it("4 SGs onto one instance at once all land, without a single busy refusal", async () => {
    const rs = await Promise.all([1, 2, 3, 4].map((n) => create(sg(n), [ins(7)])));
    expect(rs).toHaveLength(4);
    const w = await h.bindings();
    expect(w[ins(7)]).toHaveLength(5);
    expect(new Set(w[ins(7)])).toEqual(new Set([sg(99), sg(1), sg(2), sg(3), sg(4)]));
    expect((await h.emu.control.calls()).filter((c) => c.errorCode)).toEqual([]);
    // Each output reports its own position.
    for (const r of rs) expect(r.outs.priorities[ins(7)]).toBe(w[ins(7)].indexOf(r.outs.securityGroupId));
  });

  it("many SGs at once stay under the API rate limit (client-side limiter)", async () => {
    await h.emu.control.configure({ operationLatencyMs: 5 });
    await Promise.all(Array.from({ length: 25 }, (_, k) => create(sg(k + 1), [ins(k + 1)])));
    const calls = await h.emu.control.calls();
    expect(calls.filter((c) => c.errorCode?.startsWith("RequestLimitExceeded"))).toEqual([]);
    // At most 10 in any second of the emulator's call log: the 25 are spread over more than 2 s.
    expect(maxPerSecond(calls, "AssociateSecurityGroups")).toBeLessThanOrEqual(10);
    expect(calls.filter((c) => c.action === "AssociateSecurityGroups")).toHaveLength(25);
  });
});

describe("retries", () => {
  it("transient faults (throttling, busy, mutex, 5xx, dropped connections) are retried on every action", async () => {
    const before = stats();
    await h.emu.control.addFault({ kind: "transient", probability: 0.35 });
    const rs = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => create(sg(n), [ins(n), ins(n + 10)])));
    await Promise.all(rs.slice(0, 3).map((r) => implementation.delete(r.id, r.outs)));
    await h.emu.control.clearFaults();
    const w = await h.bindings();
    for (const n of [1, 2, 3]) expect(w[ins(n)]).toEqual([sg(99)]);
    for (const n of [4, 5, 6]) {
      expect(w[ins(n)]).toEqual([sg(99), sg(n)]);
      expect(w[ins(n + 10)]).toEqual([sg(99), sg(n)]);
    }
    const faulted = (await h.emu.control.calls()).filter((c) => c.fault === "transient");
    expect(faulted.length).toBeGreaterThan(0);
    expect(stats().retries).toBeGreaterThan(before.retries);
  });

  it("server-side throttling is retried with backoff and counted", async () => {
    const before = stats();
    await h.emu.control.addFault({
      kind: "error",
      action: "AssociateSecurityGroups",
      code: "RequestLimitExceeded",
      count: 3,
    });
    const r = await create(sg(1), [ins(1)]);
    expect(r.outs.instanceIds).toEqual([ins(1)]);
    const calls = (await bindingCalls(h.emu)).map((c) => c.errorCode ?? "ok");
    expect(calls).toEqual(["RequestLimitExceeded", "RequestLimitExceeded", "RequestLimitExceeded", "ok"]);
    expect(stats().throttled - before.throttled).toBe(3);
  });

  it("HTTP 503 and InternalError are retried", async () => {
    await h.emu.control.addFault({ kind: "http", action: "AssociateSecurityGroups", status: 503, count: 1 });
    await h.emu.control.addFault({
      kind: "error",
      action: "DescribeInstances",
      code: "InternalError",
      count: 1,
    });
    const r = await create(sg(1), [ins(1)]);
    expect(r.outs.priorities).toEqual({ [ins(1)]: 1 });
    const codes = (await h.emu.control.calls()).map((c) => c.errorCode).filter(Boolean);
    expect(codes).toEqual(expect.arrayContaining(["HTTP_503", "InternalError"]));
  });

  it("a response lost after the operation was committed is recovered (no double binding)", async () => {
    await h.emu.control.addFault({
      kind: "drop",
      action: "AssociateSecurityGroups",
      count: 1,
      afterCommit: true,
    });
    const r = await create(sg(1), [ins(1), ins(2)]);
    expect(r.outs.instanceIds).toEqual([ins(1), ins(2)]);
    const w = await h.bindings();
    expect(w[ins(1)]).toEqual([sg(99), sg(1)]);
    expect(w[ins(2)]).toEqual([sg(99), sg(1)]);
    const calls = await bindingCalls(h.emu);
    expect(calls[0].errorCode).toBe("DROPPED");
    expect(calls.length).toBeGreaterThanOrEqual(2);
  });

  it("a connection dropped before commit is simply re-sent", async () => {
    await h.emu.control.addFault({ kind: "drop", action: "DisassociateSecurityGroups", count: 2 });
    const r = await create(sg(3), [ins(5)]);
    await implementation.delete(r.id, r.outs);
    expect((await h.bindings())[ins(5)]).toEqual([sg(99)]);
    const dis = (await bindingCalls(h.emu)).filter((c) => c.action === "DisassociateSecurityGroups");
    expect(dis.map((c) => c.errorCode ?? "ok")).toEqual(["DROPPED", "DROPPED", "ok"]);
  });

  it("an instance kept busy by an outside actor is retried until free", async () => {
    await h.emu.control.configure({ operationLatencyMs: 700 });
    const outsider = new SdkTransport({
      endpoint: parseEndpoint(h.emu.url, "test"),
      region: REGION,
      credentials: credentialProvider({
        kind: "static",
        secretId: SECRET_ID,
        secretKey: SECRET_KEY,
        token: TOKEN,
        source: "env",
      }),
      requestTimeoutMs: 5000,
    });
    try {
      await outsider.associate(sg(5), [ins(1)]);
      const r = await create(sg(1), [ins(1), ins(2)]);
      expect(r.outs.instanceIds).toEqual([ins(1), ins(2)]);
      const w = await h.bindings();
      expect(w[ins(1)]).toEqual([sg(99), sg(5), sg(1)]);
      expect(r.outs.priorities[ins(1)]).toBe(2);
      const busy = (await h.emu.control.calls()).filter(
        (c) => c.errorCode === "OperationDenied.InstanceOperationInProgress",
      );
      expect(busy.length).toBeGreaterThan(0);
      // ins-2 was not held back by the busy ins-1: it went out in the first request.
      const firstOk = (await bindingCalls(h.emu)).find(
        (c) => !c.errorCode && c.securityGroupIds?.[0] === sg(1),
      )!;
      expect(firstOk.instanceIds).toContain(ins(2));
    } finally {
      outsider.close();
    }
  });

  it("works the same when the API ignores already-bound / not-bound requests", async () => {
    await h.emu.control.configure({ associateAlreadyBound: "ignore", disassociateNotBound: "ignore" });
    await h.emu.control.addFault({
      kind: "drop",
      action: "AssociateSecurityGroups",
      count: 1,
      afterCommit: true,
    });
    const r = await create(sg(1), [ins(1)]);
    // Unbound outside, then deleted: a no-op that must succeed.
    await implementation.delete("outside", { ...r.outs });
    await implementation.delete(r.id, r.outs);
    expect((await h.bindings())[ins(1)]).toEqual([sg(99)]);
    // The re-sent request may meet the committed one still running (TaskRunning, retried) or
    // succeed as a no-op; nothing else may go wrong.
    const codes = (await h.emu.control.calls()).map((c) => c.errorCode).filter(Boolean);
    expect(codes.filter((c) => c !== "DROPPED" && c !== "MutexOperation.TaskRunning")).toEqual([]);
    expect(codes).toContain("DROPPED");
  });

  it("gives up at the operation deadline with a clear timeout error", async () => {
    process.env.SGATTACH_OPERATION_TIMEOUT_MS = "1000";
    try {
      await h.emu.control.addFault({
        kind: "error",
        action: "AssociateSecurityGroups",
        code: "OperationDenied.InstanceOperationInProgress",
      });
      const err = (await create(sg(1), [ins(1)]).catch((e) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(/not finished before the deadline on ins-00000001/);
      expect(err.message).toMatch(/InstanceOperationInProgress/);
      expect(err.message).toMatch(/operationTimeoutMs/);
      await h.emu.control.clearFaults();
      expect((await h.bindings())[ins(1)]).toEqual([sg(99)]);
    } finally {
      process.env.SGATTACH_OPERATION_TIMEOUT_MS = "20000";
    }
  });
});
