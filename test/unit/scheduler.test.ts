import type { CvmTransport, InstanceView } from "../../provider/impl/api";
import { ApiError } from "../../provider/impl/errors";
import { RateLimiter } from "../../provider/impl/rate-limit";
import {
  bisect,
  guiltyAction,
  instanceIdsIn,
  judge,
  planBatchError,
  Scheduler,
  Gather,
  EngineLoad,
  ArrivalGaps,
  quietWindowMs,
  OperationDurations,
  nextPollDelayMs,
} from "../../provider/impl/scheduler";
import { DEFAULT_TUNING, Tuning } from "../../provider/impl/settings";

const err = (code: string, message = "x", action = "AssociateSecurityGroups") =>
  new ApiError({ action, code, message, requestId: "req-1" });

const view = (over: Partial<InstanceView> = {}): InstanceView => ({
  instanceId: "ins-aaaa1111",
  state: "RUNNING",
  securityGroupIds: [],
  latestOperation: "",
  latestOperationState: "",
  latestOperationRequestId: "",
  latestOperationErrorMsg: "",
  ...over,
});

describe("split logic (pure)", () => {
  it("finds instance ids in messages", () => {
    expect(instanceIdsIn("instances [ins-aaaa1111, ins-bbbb2222] not found")).toEqual([
      "ins-aaaa1111",
      "ins-bbbb2222",
    ]);
    expect(instanceIdsIn("ins-aaaa1111 and again ins-aaaa1111")).toEqual(["ins-aaaa1111"]);
    expect(instanceIdsIn("ins-aaaa11112 is too long, ins-short")).toEqual([]);
    expect(instanceIdsIn("nothing here")).toEqual([]);
  });

  it("bisects", () => {
    expect(bisect([1, 2, 3, 4, 5])).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(bisect([1])).toEqual([[1], []]);
  });

  it("maps instance-scoped codes to actions", () => {
    expect(guiltyAction("associate", "InvalidInstanceId.NotFound")).toEqual({
      type: "fail",
      reason: "instanceNotFound",
    });
    expect(guiltyAction("disassociate", "InvalidInstanceId.NotFound")).toEqual({
      type: "done",
      note: "instanceGone",
    });
    expect(guiltyAction("associate", "LimitExceeded.AssociateUSGLimitExceeded")).toEqual({
      type: "fail",
      reason: "limitExceeded",
    });
    expect(guiltyAction("associate", "OperationDenied.InstanceOperationInProgress")).toEqual({
      type: "retryBusy",
    });
    expect(guiltyAction("associate", "MutexOperation.TaskRunning")).toEqual({ type: "retryBusy" });
    expect(guiltyAction("disassociate", "FailedOperation.SecurityGroupActionFailed")).toEqual({
      type: "verify",
    });
    expect(guiltyAction("associate", "UnsupportedOperation.InstanceStatePending")).toEqual({
      type: "fail",
      reason: "rejected",
    });
    expect(guiltyAction("associate", "InvalidInstanceId.Malformed")).toEqual({
      type: "fail",
      reason: "rejected",
    });
    expect(guiltyAction("associate", "AuthFailure.SignatureFailure")).toBeNull();
  });

  const ids = ["ins-aaaa1111", "ins-bbbb2222", "ins-cccc3333"];

  it("blames the named instances and re-sends the rest", () => {
    expect(
      planBatchError(
        "associate",
        ids,
        err("InvalidInstanceId.NotFound", "instances [ins-bbbb2222] not found"),
      ),
    ).toEqual({
      type: "blame",
      guilty: ["ins-bbbb2222"],
      innocent: ["ins-aaaa1111", "ins-cccc3333"],
      action: { type: "fail", reason: "instanceNotFound" },
    });
  });

  it("ignores named ids that are not in the batch and bisects instead", () => {
    expect(
      planBatchError(
        "associate",
        ids,
        err("InvalidInstanceId.NotFound", "instances [ins-zzzz9999] not found"),
      ),
    ).toEqual({
      type: "bisect",
      halves: [["ins-aaaa1111", "ins-bbbb2222"], ["ins-cccc3333"]],
    });
  });

  it("applies the action to a lone instance when nothing is named", () => {
    expect(
      planBatchError("associate", ["ins-aaaa1111"], err("LimitExceeded.AssociateUSGLimitExceeded")),
    ).toEqual({
      type: "all",
      action: { type: "fail", reason: "limitExceeded" },
    });
  });

  it("retries a whole TaskRunning batch when nothing is named", () => {
    expect(planBatchError("associate", ids, err("MutexOperation.TaskRunning"))).toEqual({
      type: "retry",
      cls: "busy",
    });
  });

  it("retries throttling and transient errors as a whole", () => {
    expect(planBatchError("associate", ids, err("RequestLimitExceeded"))).toEqual({
      type: "retry",
      cls: "throttling",
    });
    expect(planBatchError("associate", ids, err("InternalError"))).toEqual({
      type: "retry",
      cls: "transient",
    });
  });

  it("treats a missing SG as done on disassociate and a failure on associate", () => {
    expect(planBatchError("disassociate", ids, err("InvalidSecurityGroupId.NotFound"))).toEqual({
      type: "all",
      action: { type: "done", note: "securityGroupGone" },
    });
    expect(planBatchError("associate", ids, err("InvalidSecurityGroupId.NotFound"))).toEqual({
      type: "all",
      action: { type: "fail", reason: "securityGroupNotFound" },
    });
  });

  it("splits a batch that has too many values", () => {
    expect(planBatchError("associate", ids, err("InvalidParameterValue.LimitExceeded"))).toMatchObject({
      type: "bisect",
    });
  });

  it("fails everything on other fatal errors", () => {
    expect(planBatchError("associate", ids, err("AuthFailure.SignatureFailure"))).toEqual({
      type: "all",
      action: { type: "fail", reason: "rejected" },
    });
  });

  describe("judge", () => {
    const sg = "sg-abcd1234";
    it("waits while our operation runs, then accepts SUCCESS", () => {
      expect(
        judge(
          "associate",
          sg,
          "r1",
          view({ latestOperationRequestId: "r1", latestOperationState: "OPERATING" }),
          false,
        ),
      ).toEqual({
        type: "wait",
      });
      expect(
        judge(
          "associate",
          sg,
          "r1",
          view({ latestOperationRequestId: "r1", latestOperationState: "SUCCESS", securityGroupIds: [sg] }),
          false,
        ),
      ).toEqual({ type: "done", note: "applied" });
    });
    it("reports FAILED with the API's message", () => {
      expect(
        judge(
          "associate",
          sg,
          "r1",
          view({
            latestOperationRequestId: "r1",
            latestOperationState: "FAILED",
            latestOperationErrorMsg: "boom",
          }),
          false,
        ),
      ).toEqual({ type: "fail", reason: "operationFailed", message: "boom" });
    });
    it("notices SUCCESS without the effect", () => {
      expect(
        judge(
          "disassociate",
          sg,
          "r1",
          view({ latestOperationRequestId: "r1", latestOperationState: "SUCCESS", securityGroupIds: [sg] }),
          false,
        ),
      ).toMatchObject({
        type: "fail",
        reason: "notApplied",
      });
    });
    it("handles instances that vanished", () => {
      expect(judge("associate", sg, "r1", null, false)).toMatchObject({
        type: "fail",
        reason: "instanceNotFound",
      });
      expect(judge("disassociate", sg, "r1", null, false)).toEqual({ type: "done", note: "instanceGone" });
    });
    it("accepts the wanted state when another request is latest and the instance is idle", () => {
      expect(
        judge(
          "associate",
          sg,
          "r1",
          view({
            latestOperationRequestId: "other",
            latestOperationState: "SUCCESS",
            securityGroupIds: [sg],
          }),
          false,
        ),
      ).toEqual({
        type: "done",
        note: "applied",
      });
      expect(judge("associate", sg, "", view({ securityGroupIds: [sg] }), true)).toEqual({
        type: "done",
        note: "alreadyInState",
      });
    });
    it("waits for someone else's running operation, flags lost ones, fails unverifiable ones", () => {
      expect(
        judge(
          "associate",
          sg,
          "r1",
          view({ latestOperationRequestId: "other", latestOperationState: "OPERATING" }),
          false,
        ),
      ).toEqual({
        type: "wait",
      });
      expect(
        judge(
          "associate",
          sg,
          "r1",
          view({ latestOperationRequestId: "other", latestOperationState: "SUCCESS" }),
          false,
        ),
      ).toEqual({
        type: "lost",
      });
      expect(judge("associate", sg, "", view(), true)).toMatchObject({ type: "fail", reason: "rejected" });
    });
  });
});

// ---------------------------------------------------------------------------
// Scheduler against a small in-memory fake of the API
// ---------------------------------------------------------------------------

interface FakeInstance {
  sgs: string[];
  op: { state: string; rid: string; msg: string };
}

class FakeCvm implements CvmTransport {
  instances = new Map<string, FakeInstance>();
  calls: { action: string; sg?: string; ids: string[]; error?: string }[] = [];
  latencyMs = 15;
  seq = 0;
  /** Errors to throw for the next calls of an action (FIFO). */
  script: Record<string, ApiError[]> = {};
  /** Instances whose operations end FAILED. */
  failing = new Set<string>();
  /** Name offenders in messages (like the emulator) or not. */
  nameOffenders = true;
  /** Accept requests but never apply them (lost operation). */
  blackhole = 0;

  constructor(ids: string[], sgs: Record<string, string[]> = {}) {
    for (const id of ids)
      this.instances.set(id, { sgs: [...(sgs[id] ?? [])], op: { state: "", rid: "", msg: "" } });
  }

  private fail(action: string, ids: string[], code: string, offenders: string[]): never {
    this.calls.push({ action, ids, error: code });
    const msg = this.nameOffenders ? `instances [${offenders.join(", ")}] rejected` : "rejected";
    throw new ApiError({ action, code, message: msg, requestId: `rq-${++this.seq}` });
  }

  private async op(action: string, sg: string, ids: string[]): Promise<string> {
    await new Promise((r) => setTimeout(r, 1));
    const scripted = this.script[action]?.shift();
    if (scripted) {
      this.calls.push({ action, sg, ids, error: scripted.code });
      throw scripted;
    }
    const missing = ids.filter((id) => !this.instances.has(id));
    if (missing.length) this.fail(action, ids, "InvalidInstanceId.NotFound", missing);
    const busy = ids.filter((id) => this.instances.get(id)!.op.state === "OPERATING");
    if (busy.length) this.fail(action, ids, "OperationDenied.InstanceOperationInProgress", busy);
    const assoc = action === "AssociateSecurityGroups";
    if (assoc) {
      const full = ids.filter(
        (id) => this.instances.get(id)!.sgs.length >= 5 && !this.instances.get(id)!.sgs.includes(sg),
      );
      if (full.length) this.fail(action, ids, "LimitExceeded.AssociateUSGLimitExceeded", full);
    }
    const wrong = ids.filter((id) => this.instances.get(id)!.sgs.includes(sg) !== !assoc);
    if (wrong.length) this.fail(action, ids, "FailedOperation.SecurityGroupActionFailed", wrong);
    this.calls.push({ action, sg, ids });
    const rid = `rq-${++this.seq}`;
    if (this.blackhole > 0) {
      this.blackhole--;
      return rid;
    }
    for (const id of ids) this.instances.get(id)!.op = { state: "OPERATING", rid, msg: "" };
    setTimeout(() => {
      for (const id of ids) {
        const inst = this.instances.get(id);
        if (!inst || inst.op.rid !== rid) continue;
        if (this.failing.has(id)) {
          inst.op = { state: "FAILED", rid, msg: `cannot touch ${id}` };
          continue;
        }
        if (assoc) inst.sgs.push(sg);
        else inst.sgs = inst.sgs.filter((s) => s !== sg);
        inst.op = { state: "SUCCESS", rid, msg: "" };
      }
    }, this.latencyMs);
    return rid;
  }

  associate(sg: string, ids: string[]): Promise<string> {
    return this.op("AssociateSecurityGroups", sg, ids);
  }
  disassociate(sg: string, ids: string[]): Promise<string> {
    return this.op("DisassociateSecurityGroups", sg, ids);
  }
  async describe(ids: string[]): Promise<InstanceView[]> {
    await new Promise((r) => setTimeout(r, 1));
    const scripted = this.script.DescribeInstances?.shift();
    if (scripted) {
      this.calls.push({ action: "DescribeInstances", ids, error: scripted.code });
      throw scripted;
    }
    if (ids.length > 100) throw new Error("too many ids");
    this.calls.push({ action: "DescribeInstances", ids });
    return ids
      .filter((id) => this.instances.has(id))
      .map((id) => {
        const i = this.instances.get(id)!;
        return view({
          instanceId: id,
          securityGroupIds: [...i.sgs],
          latestOperationState: i.op.state,
          latestOperationRequestId: i.op.rid,
          latestOperationErrorMsg: i.op.msg,
        });
      });
  }
  count(action: string, ok = true): number {
    return this.calls.filter((c) => c.action === action && (ok ? !c.error : true)).length;
  }
}

const SG = "sg-abcd1234";

// Every scheduler test runs on jest's fake clock (Date.now and timers): the
// counts below are of logical time, independent of the machine's speed.
beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** Runs the fake clock, a millisecond at a time, until `p` settles. */
async function settle<T>(p: Promise<T>): Promise<T> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let ms = 0; !done; ms++) {
    if (ms > 600_000) throw new Error("did not settle within 10 minutes of fake time");
    await jest.advanceTimersByTimeAsync(1);
  }
  return p;
}
const ins = (n: number) => `ins-${String(n).padStart(8, "0")}`;

function makeScheduler(fake: FakeCvm, over: Partial<Tuning> = {}, load = new EngineLoad()) {
  const tuning: Tuning = {
    ...DEFAULT_TUNING,
    gatherWindowMs: 5,
    gatherMaxMs: 50,
    pollIntervalMs: 5,
    retryBaseDelayMs: 2,
    retryMaxDelayMs: 20,
    lostOperationGraceMs: 30,
    operationTimeoutMs: 5_000,
    ...over,
  };
  const limiters = {
    associate: new RateLimiter(1000),
    disassociate: new RateLimiter(1000),
    describe: new RateLimiter(1000),
  };
  const s = new Scheduler({ transport: fake, tuning: () => tuning, limiter: (n) => limiters[n], load });
  return { s, deadline: () => Date.now() + tuning.operationTimeoutMs };
}

describe("Scheduler", () => {
  it("coalesces concurrent binds of one SG into one request", async () => {
    const ids = Array.from({ length: 30 }, (_, i) => ins(i));
    const fake = new FakeCvm(ids);
    const { s, deadline } = makeScheduler(fake);
    const results = await settle(Promise.all(ids.map((id) => s.run("associate", SG, [id], deadline()))));
    expect(results.flat().every((r) => r.ok)).toBe(true);
    expect(fake.count("AssociateSecurityGroups")).toBe(1);
    expect(fake.calls.find((c) => c.action === "AssociateSecurityGroups")!.ids).toHaveLength(30);
    for (const id of ids) expect(fake.instances.get(id)!.sgs).toEqual([SG]);
    expect(s.idle()).toBe(true);
  });

  it("sends at most maxBatchSize instances per request", async () => {
    const ids = Array.from({ length: 250 }, (_, i) => ins(i));
    const fake = new FakeCvm(ids);
    const { s, deadline } = makeScheduler(fake);
    const results = await settle(s.run("associate", SG, ids, deadline()));
    expect(results.filter((r) => r.ok)).toHaveLength(250);
    const sizes = fake.calls.filter((c) => c.action === "AssociateSecurityGroups").map((c) => c.ids.length);
    expect(sizes.sort((a, b) => b - a)).toEqual([100, 100, 50]);
    for (const c of fake.calls.filter((c) => c.action === "DescribeInstances"))
      expect(c.ids.length).toBeLessThanOrEqual(100);
  });

  it("sequences operations on one instance so that none is refused as busy", async () => {
    const fake = new FakeCvm([ins(1)], { [ins(1)]: ["sg-base0000"] });
    const { s, deadline } = makeScheduler(fake);
    const sgs = ["sg-aaaa0001", "sg-aaaa0002", "sg-aaaa0003", "sg-aaaa0004"];
    const results = await settle(Promise.all(sgs.map((sg) => s.run("associate", sg, [ins(1)], deadline()))));
    expect(results.flat().every((r) => r.ok)).toBe(true);
    expect(fake.instances.get(ins(1))!.sgs).toEqual(["sg-base0000", ...sgs]);
    expect(fake.calls.filter((c) => c.error)).toEqual([]);
  });

  it("gives each instance its own answer when some are missing (ids named)", async () => {
    const fake = new FakeCvm([ins(1), ins(2), ins(3)]);
    const { s, deadline } = makeScheduler(fake);
    const results = await settle(s.run("associate", SG, [ins(1), ins(2), ins(3), ins(9)], deadline()));
    const byId = Object.fromEntries(results.map((r) => [r.instanceId, r]));
    expect(byId[ins(9)]).toMatchObject({ ok: false, reason: "instanceNotFound" });
    for (const i of [1, 2, 3]) expect(byId[ins(i)]).toMatchObject({ ok: true, note: "applied" });
    expect(fake.count("AssociateSecurityGroups")).toBe(1);
    expect(fake.calls.filter((c) => c.error === "InvalidInstanceId.NotFound")).toHaveLength(1);
  });

  it("bisects when the error names no instance", async () => {
    const ids = [1, 2, 3, 4, 5, 6, 7, 8].map(ins);
    const fake = new FakeCvm(ids, { [ins(6)]: ["a", "b", "c", "d", "e"].map((x) => `sg-${x.repeat(8)}`) });
    fake.nameOffenders = false;
    const { s, deadline } = makeScheduler(fake);
    const results = await settle(s.run("associate", SG, ids, deadline()));
    const failed = results.filter((r) => !r.ok);
    expect(failed).toEqual([expect.objectContaining({ instanceId: ins(6), reason: "limitExceeded" })]);
    for (const id of ids.filter((x) => x !== ins(6))) expect(fake.instances.get(id)!.sgs).toEqual([SG]);
    // 1 + 2 + 2 + 2 requests at most (log2(8) levels).
    expect(fake.calls.filter((c) => c.action === "AssociateSecurityGroups").length).toBeLessThanOrEqual(7);
  });

  it("retries throttling and transient errors, and gives up transient ones after maxTransientAttempts", async () => {
    const fake = new FakeCvm([ins(1), ins(2)]);
    fake.script.AssociateSecurityGroups = [err("RequestLimitExceeded"), err("InternalError")];
    const { s, deadline } = makeScheduler(fake);
    const ok = await settle(s.run("associate", SG, [ins(1)], deadline()));
    expect(ok[0]).toMatchObject({ ok: true });
    expect(
      fake.calls.filter((c) => c.action === "AssociateSecurityGroups").map((c) => c.error ?? "ok"),
    ).toEqual(["RequestLimitExceeded", "InternalError", "ok"]);

    fake.script.DisassociateSecurityGroups = Array.from({ length: 10 }, () => err("InternalError"));
    const { s: s2, deadline: d2 } = makeScheduler(fake, { maxTransientAttempts: 3 });
    const bad = await settle(s2.run("disassociate", SG, [ins(1)], d2()));
    expect(bad[0]).toMatchObject({
      ok: false,
      reason: "rejected",
      error: expect.objectContaining({ code: "InternalError" }),
    });
    expect(fake.calls.filter((c) => c.action === "DisassociateSecurityGroups")).toHaveLength(3);
  });

  it("retries a busy instance (outside actor) until it is free", async () => {
    const fake = new FakeCvm([ins(1)]);
    fake.instances.get(ins(1))!.op = { state: "OPERATING", rid: "outside", msg: "" };
    setTimeout(() => (fake.instances.get(ins(1))!.op = { state: "SUCCESS", rid: "outside", msg: "" }), 40);
    const { s, deadline } = makeScheduler(fake);
    const r = await settle(s.run("associate", SG, [ins(1)], deadline()));
    expect(r[0]).toMatchObject({ ok: true });
    expect(
      fake.calls.filter((c) => c.error === "OperationDenied.InstanceOperationInProgress").length,
    ).toBeGreaterThan(0);
  });

  it("times out at the deadline with the last error", async () => {
    const fake = new FakeCvm([ins(1)]);
    fake.instances.get(ins(1))!.op = { state: "OPERATING", rid: "outside", msg: "" };
    const { s } = makeScheduler(fake);
    const r = await settle(s.run("associate", SG, [ins(1)], Date.now() + 80));
    expect(r[0]).toMatchObject({ ok: false, reason: "timeout" });
    if (!r[0].ok) expect(r[0].error.message).toMatch(/InstanceOperationInProgress/);
  });

  it("reports FAILED operations per instance", async () => {
    const fake = new FakeCvm([ins(1), ins(2)]);
    fake.failing.add(ins(2));
    const { s, deadline } = makeScheduler(fake);
    const r = await settle(s.run("associate", SG, [ins(1), ins(2)], deadline()));
    expect(r.find((x) => x.instanceId === ins(1))).toMatchObject({ ok: true });
    const f = r.find((x) => x.instanceId === ins(2))!;
    expect(f).toMatchObject({ ok: false, reason: "operationFailed" });
    if (!f.ok) expect(f.error.apiMessage).toMatch(/cannot touch ins-00000002/);
  });

  it("verifies 'already bound' / 'not bound' refusals against the instance", async () => {
    const fake = new FakeCvm([ins(1), ins(2)], { [ins(1)]: [SG] });
    const { s, deadline } = makeScheduler(fake);
    const r = await settle(s.run("associate", SG, [ins(1), ins(2)], deadline()));
    expect(r.find((x) => x.instanceId === ins(1))).toMatchObject({ ok: true, note: "alreadyInState" });
    expect(r.find((x) => x.instanceId === ins(2))).toMatchObject({ ok: true, note: "applied" });
    const u = await settle(s.run("disassociate", SG, [ins(1), ins(2), ins(7)], deadline()));
    expect(u.every((x) => x.ok)).toBe(true);
    expect(u.find((x) => x.instanceId === ins(7))).toMatchObject({ note: "instanceGone" });
    expect(fake.instances.get(ins(1))!.sgs).toEqual([]);
  });

  it("treats a deleted SG as unbound on disassociate", async () => {
    const fake = new FakeCvm([ins(1)], { [ins(1)]: [SG] });
    fake.script.DisassociateSecurityGroups = [err("InvalidSecurityGroupId.NotFound")];
    const { s, deadline } = makeScheduler(fake);
    const r = await settle(s.run("disassociate", SG, [ins(1)], deadline()));
    expect(r[0]).toMatchObject({ ok: true, note: "securityGroupGone" });
  });

  it("re-sends an accepted request that never took effect", async () => {
    const fake = new FakeCvm([ins(1)]);
    fake.blackhole = 1;
    const { s, deadline } = makeScheduler(fake);
    const r = await settle(s.run("associate", SG, [ins(1)], deadline()));
    expect(r[0]).toMatchObject({ ok: true });
    expect(fake.count("AssociateSecurityGroups")).toBe(2);
    expect(fake.instances.get(ins(1))!.sgs).toEqual([SG]);
  });

  it("coalesces look-ups and maps absent instances to null", async () => {
    const ids = Array.from({ length: 150 }, (_, i) => ins(i));
    const fake = new FakeCvm(ids.slice(0, 149));
    const { s } = makeScheduler(fake);
    const [a, b, c] = await settle(
      Promise.all([s.lookup(ids.slice(0, 60)), s.lookup(ids.slice(40, 150)), s.lookup([ins(1)])]),
    );
    expect(a.size).toBe(60);
    expect(b.get(ins(149))).toBeNull();
    expect(b.get(ins(148))?.instanceId).toBe(ins(148));
    expect(c.get(ins(1))?.instanceId).toBe(ins(1));
    const describes = fake.calls.filter((x) => x.action === "DescribeInstances");
    expect(describes).toHaveLength(2);
    expect(describes.map((d) => d.ids.length).sort((x, y) => x - y)).toEqual([50, 100]);
    expect(await settle(s.lookup([]))).toEqual(new Map());
  });

  it("retries transient look-up failures and rejects fatal ones", async () => {
    const fake = new FakeCvm([ins(1)]);
    fake.script.DescribeInstances = [err("InternalError", "x", "DescribeInstances")];
    const { s } = makeScheduler(fake);
    expect((await settle(s.lookup([ins(1)]))).get(ins(1))).not.toBeNull();
    fake.script.DescribeInstances = [err("AuthFailure.SecretIdNotFound", "bad id", "DescribeInstances")];
    await expect(settle(s.lookup([ins(1)]))).rejects.toMatchObject({ code: "AuthFailure.SecretIdNotFound" });
  });
});

describe("Gather (debounced trigger)", () => {
  it("fires once after the stream pauses for the quiet period", async () => {
    let fired = 0;
    const g = new Gather(() => fired++, Date.now);
    g.poke(40, 1000);
    await jest.advanceTimersByTimeAsync(20);
    g.poke(40, 1000);
    await jest.advanceTimersByTimeAsync(25);
    expect(fired).toBe(0); // poked again 25 ms ago: still gathering
    await jest.advanceTimersByTimeAsync(40);
    expect(fired).toBe(1);
    expect(g.pending).toBe(false);
  });

  it("never waits longer than the maximum while pokes keep coming", async () => {
    let firedAt = 0;
    const start = Date.now();
    const g = new Gather(() => (firedAt = Date.now()), Date.now);
    for (let i = 0; i < 12 && firedAt === 0; i++) {
      g.poke(50, 120);
      await jest.advanceTimersByTimeAsync(20);
    }
    expect(firedAt - start).toBe(120); // the maximum, though a poke came every 20 ms
  });
});

describe("adaptive gathering (pure parts)", () => {
  it("EngineLoad: slack while ramping up, or with free slots when the engine's parallelism is above the limit", () => {
    let now = 0;
    const load = new EngineLoad(() => now);
    expect(load.slackAbove(10)).toBe(false);
    load.enter();
    expect(load.slackAbove(10)).toBe(false); // a lone operation is not a ramp: nothing says more will come
    for (let i = 0; i < 7; i++) load.enter();
    expect([load.active, load.highWater, load.slackAbove(10)]).toEqual([8, 8, true]); // just grew: ramping up
    now += EngineLoad.RAMP_MS;
    expect(load.slackAbove(10)).toBe(false); // every slot it has ever used is with us
    load.leave();
    // 8 slots, 10 requests/s: one request per arrival cannot reach the limit; gathering would only hold work back
    expect([load.active, load.highWater, load.slackAbove(10)]).toEqual([7, 8, false]);
    expect(load.slackAbove(4)).toBe(true); // a lower limit: worth waiting for the free slot
    for (let i = 0; i < 5; i++) load.enter(); // high water 12
    now += EngineLoad.RAMP_MS;
    expect(load.slackAbove(10)).toBe(false); // all 12 with us
    load.leave();
    expect([load.active, load.highWater, load.slackAbove(10)]).toEqual([11, 12, true]);
    for (let i = 0; i < 20; i++) load.leave();
    expect(load.active).toBe(0);
  });

  it("OperationDurations places the first poll at 3/4 of the quickest recent operation, within bounds", () => {
    const d = new OperationDurations();
    expect(d.firstPollMs(250, 1000)).toBe(250); // nothing known yet
    d.note(2000);
    d.note(1200);
    expect(d.firstPollMs(250, 1000)).toBe(900);
    d.note(100);
    expect(d.firstPollMs(250, 1000)).toBe(250); // never below the base
    for (let i = 0; i < OperationDurations.KEEP; i++) d.note(5000);
    expect(d.firstPollMs(250, 1000)).toBe(1000); // the quick one is forgotten; capped
  });

  it("nextPollDelayMs waits for the first poll time, then an eighth of the age within [base, 4 × base]", () => {
    expect(nextPollDelayMs(0, 250, 900)).toBe(900);
    expect(nextPollDelayMs(300, 250, 900)).toBe(600);
    expect(nextPollDelayMs(900, 250, 900)).toBe(250);
    expect(nextPollDelayMs(2000, 250, 900)).toBe(250); // a few seconds: every base interval
    expect(nextPollDelayMs(4000, 250, 900)).toBe(500);
    expect(nextPollDelayMs(60_000, 250, 900)).toBe(1000); // capped at 4 × base
    expect(nextPollDelayMs(0, 250, 250)).toBe(250);
  });

  it("ArrivalGaps smooths the gaps, counts one tick once, forgets a stream after a long pause", () => {
    const g = new ArrivalGaps();
    g.note(1000);
    expect(g.gapMs).toBeUndefined();
    g.note(1000); // same tick: the same arrival
    g.note(1100);
    expect(g.gapMs).toBe(100);
    g.note(1300);
    expect(g.gapMs).toBeCloseTo(0.7 * 100 + 0.3 * 200);
    g.note(1300 + ArrivalGaps.RESET_MS + 1);
    expect(g.gapMs).toBeUndefined();
  });

  it("quietWindowMs stretches only for a trickle while the engine has free slots, within bounds", () => {
    expect(quietWindowMs(100, 3000, undefined, false)).toBe(100);
    expect(quietWindowMs(100, 3000, undefined, true)).toBe(300); // first work while slots are free: a few windows
    expect(quietWindowMs(100, 3000, 250, false)).toBe(100); // every slot is with us: nothing more can come
    expect(quietWindowMs(100, 3000, 20, true)).toBe(100); // a burst: the base window already spans gaps
    expect(quietWindowMs(100, 3000, 150, true)).toBe(450);
    expect(quietWindowMs(100, 3000, 2000, true)).toBe(1500); // capped
    expect(quietWindowMs(100, 600, 2000, true)).toBe(300); // at most half the maximum
    expect(quietWindowMs(400, 600, 2000, true)).toBe(400); // never below the base
  });
});

describe("Scheduler: polling by operation age", () => {
  it("polls a young operation often and an old one less; later operations are first polled near the quickest seen", async () => {
    const ids = Array.from({ length: 5 }, (_, i) => ins(i));
    const fake = new FakeCvm(ids);
    fake.latencyMs = 300;
    // A fixed interval of 25 ms polls each operation ≈12 times.
    const { s, deadline } = makeScheduler(fake, { pollIntervalMs: 25 });
    for (const id of ids) {
      const [r] = await settle(s.run("associate", SG, [id], deadline()));
      expect(r.ok).toBe(true);
    }
    const pollsPerOperation: number[] = [];
    for (const c of fake.calls) {
      if (c.action === "AssociateSecurityGroups") pollsPerOperation.push(0);
      else if (c.action === "DescribeInstances") pollsPerOperation[pollsPerOperation.length - 1]++;
    }
    expect(pollsPerOperation).toHaveLength(5);
    // First operation: nothing known; polled every 25 ms, from 200 ms on every
    // eighth of its age. Later ones: first poll at 3/4 of the quickest seen,
    // capped at 8 × 25 ms = 200 ms, then 25, 28, 31 ms later.
    expect(pollsPerOperation).toEqual([11, 5, 5, 5, 5]);
    for (const id of ids) expect(fake.instances.get(id)!.sgs).toEqual([SG]);
    expect(s.idle()).toBe(true);
  });

  it("one poll looks at every waiting operation it can fit, due or not", async () => {
    const ids = Array.from({ length: 3 }, (_, i) => ins(i));
    const fake = new FakeCvm(ids);
    fake.latencyMs = 60;
    const { s, deadline } = makeScheduler(fake);
    const runs: Promise<unknown>[] = [];
    for (const id of ids) {
      runs.push(s.run("associate", SG, [id], deadline()));
      await jest.advanceTimersByTimeAsync(20); // separate requests, overlapping operations
    }
    await settle(Promise.all(runs));
    const describes = fake.calls.filter((c) => c.action === "DescribeInstances");
    expect(fake.count("AssociateSecurityGroups")).toBe(3);
    // Once all three wait, each poll carries all three of them.
    expect(describes.some((c) => c.ids.length === 3)).toBe(true);
    expect(s.idle()).toBe(true);
  });
});

describe("Scheduler: one instance stands for its request until the request settles", () => {
  it("polls a 250-instance deployment through its three requests' representatives, then the rest at once", async () => {
    const ids = Array.from({ length: 250 }, (_, i) => ins(i));
    const fake = new FakeCvm(ids);
    fake.latencyMs = 400;
    const { s, deadline } = makeScheduler(fake, { pollIntervalMs: 20 });
    const results = await settle(s.run("associate", SG, ids, deadline()));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(fake.count("AssociateSecurityGroups")).toBe(3);
    const describes = fake.calls.filter((c) => c.action === "DescribeInstances");
    // While the operations run, each poll is one request (three representatives,
    // filled up with free looks; polling every instance would take three), then
    // the instances not yet seen are looked at.
    expect(describes.length).toBe(17);
    expect(describes.every((c) => c.ids.length <= 100)).toBe(true);
    for (const id of ids) expect(fake.instances.get(id)!.sgs).toEqual([SG]);
    expect(s.idle()).toBe(true);
  });

  it("once the request settles, every instance of it gets its own answer (one FAILED among successes)", async () => {
    const ids = Array.from({ length: 5 }, (_, i) => ins(i));
    const fake = new FakeCvm(ids);
    fake.latencyMs = 60;
    fake.failing.add(ins(3));
    // One request of five; a poll's request has room for all five, so the
    // FAILED instance is judged beside the successes of its own request.
    const { s, deadline } = makeScheduler(fake, { pollIntervalMs: 10, maxBatchSize: 5 });
    const results = await settle(s.run("associate", SG, ids, deadline()));
    const byId = new Map(results.map((r) => [r.instanceId, r]));
    expect(byId.get(ins(3))).toMatchObject({ ok: false, reason: "operationFailed" });
    for (const id of ids.filter((i) => i !== ins(3))) expect(byId.get(id)).toMatchObject({ ok: true });
    expect(s.idle()).toBe(true);
  });
});

describe("Scheduler: look-ups ride along with polls", () => {
  it("a look-up that arrives shortly before a poll goes in the poll's request", async () => {
    const [a, b] = [ins(1), ins(2)];
    const fake = new FakeCvm([a, b]);
    fake.latencyMs = 400;
    const { s, deadline } = makeScheduler(fake, {
      pollIntervalMs: 150,
      gatherWindowMs: 5,
      gatherMaxMs: 1000,
    });
    const bind = s.run("associate", SG, [a], deadline());
    // The bind is accepted and waits for its first poll (150 ms after it was sent).
    while (fake.count("AssociateSecurityGroups") === 0) await jest.advanceTimersByTimeAsync(2);
    await jest.advanceTimersByTimeAsync(40);
    const seen = await settle(s.lookup([b]));
    expect(seen.get(b)?.securityGroupIds).toEqual([]);
    const describes = fake.calls.filter((c) => c.action === "DescribeInstances");
    // The look-up went with the poll of a, not in a request of its own.
    expect(describes[0].ids.sort()).toEqual([a, b]);
    await settle(bind);
    expect(fake.instances.get(a)!.sgs).toEqual([SG]);
  });

  it("with no poll due, a look-up goes after its own gathering window", async () => {
    const b = ins(2);
    const fake = new FakeCvm([b]);
    const { s } = makeScheduler(fake, { pollIntervalMs: 150, gatherWindowMs: 5, gatherMaxMs: 1000 });
    const started = Date.now();
    await settle(s.lookup([b]));
    expect(Date.now() - started).toBe(6); // its 5 ms window and the fake's 1 ms: not held for a poll
    expect(fake.calls.filter((c) => c.action === "DescribeInstances").map((c) => c.ids)).toEqual([[b]]);
  });
});

describe("Scheduler: adaptive gathering", () => {
  /** Binds `n` instances one call at a time, `gapMs` apart; returns the Associate request sizes. */
  async function trickle(
    load: EngineLoad,
    n: number,
    gapMs: number,
    over: Partial<Tuning> = {},
  ): Promise<number[]> {
    const ids = Array.from({ length: n }, (_, i) => ins(i));
    const fake = new FakeCvm(ids);
    const { s, deadline } = makeScheduler(fake, { gatherWindowMs: 10, gatherMaxMs: 3000, ...over }, load);
    const runs: Promise<unknown>[] = [];
    for (const id of ids) {
      runs.push(s.run("associate", SG, [id], deadline()));
      await jest.advanceTimersByTimeAsync(gapMs);
    }
    await settle(Promise.all(runs));
    return fake.calls.filter((c) => c.action === "AssociateSecurityGroups").map((c) => c.ids.length);
  }

  it("a trickle with free engine slots shares a request; without free slots each arrival goes on its own", async () => {
    // The loads' clocks jump past the ramp-up once their slots are set, so that only the slots decide.
    let offset = 0;
    const later = () => Date.now() + offset;
    const slack = new EngineLoad(later);
    for (let i = 0; i < 12; i++) slack.enter();
    slack.leave(); // high water 12 (above 10 requests/s), active 11
    const few = new EngineLoad(later);
    for (let i = 0; i < 8; i++) few.enter();
    few.leave(); // high water 8, active 7
    offset = EngineLoad.RAMP_MS;
    expect([slack.slackAbove(10), few.slackAbove(10)]).toEqual([true, false]);
    const stretched = await trickle(slack, 8, 25, { associateRps: 10 });
    expect(stretched).toEqual([8]);

    const full = new EngineLoad(later); // no slack: the base window (10 ms) cuts between 25 ms gaps
    const base = await trickle(full, 8, 25, { associateRps: 10 });
    expect(base).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);

    // Free slots, but no more of them than requests per second: nothing to gain by waiting.
    const unstretched = await trickle(few, 8, 25, { associateRps: 10 });
    expect(unstretched).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });
});
