import { ApiError, LOCAL_CODES } from "../../provider/impl/errors";
import {
  backoffDelay,
  classifyError,
  noRetries,
  RetryCounts,
  RetryPolicy,
  timeoutError,
} from "../../provider/impl/retry";

const api = (code: string, httpStatus?: number) =>
  new ApiError({
    action: "AssociateSecurityGroups",
    code,
    message: "m",
    ...(httpStatus ? { httpStatus } : {}),
  });

describe("classifyError", () => {
  it.each([
    ["RequestLimitExceeded", "throttling"],
    ["RequestLimitExceeded.UinLimitExceeded", "throttling"],
    ["RequestLimitExceeded.IPLimitExceeded", "throttling"],
    ["RequestLimitExceeded.GlobalRegionUinLimitExceeded", "throttling"],
    ["MutexOperation.TaskRunning", "busy"],
    ["OperationDenied.InstanceOperationInProgress", "busy"],
    ["InternalError", "transient"],
    ["InternalError.Unknown", "transient"],
    ["ServiceUnavailable", "transient"],
    ["ResourceUnavailable", "transient"],
    ["ResourceInUse", "transient"],
    ["SecGroupActionFailure", "transient"],
    [LOCAL_CODES.network, "transient"],
    ["InvalidInstanceId.NotFound", "fatal"],
    ["InvalidSecurityGroupId.NotFound", "fatal"],
    ["InvalidSgId.Malformed", "fatal"],
    ["LimitExceeded.AssociateUSGLimitExceeded", "fatal"],
    ["FailedOperation.SecurityGroupActionFailed", "fatal"],
    ["AuthFailure.SignatureFailure", "fatal"],
    ["UnauthorizedOperation", "fatal"],
    ["InvalidParameter", "fatal"],
    ["UnsupportedOperation.InstanceStatePending", "fatal"],
    [LOCAL_CODES.credentials, "fatal"],
    [LOCAL_CODES.timeout, "fatal"],
  ])("%s → %s", (code, cls) => {
    expect(classifyError(api(code))).toBe(cls);
  });

  it("classifies HTTP statuses", () => {
    expect(classifyError(api(LOCAL_CODES.http, 503))).toBe("transient");
    expect(classifyError(api(LOCAL_CODES.http, 500))).toBe("transient");
    expect(classifyError(api(LOCAL_CODES.http, 429))).toBe("throttling");
    expect(classifyError(api(LOCAL_CODES.http, 408))).toBe("transient");
    expect(classifyError(api(LOCAL_CODES.http, 403))).toBe("fatal");
    expect(classifyError(api(LOCAL_CODES.http, 404))).toBe("fatal");
  });

  it("treats anything without a code as fatal", () => {
    expect(classifyError(new Error("x"))).toBe("fatal");
    expect(classifyError(undefined)).toBe("fatal");
  });
});

describe("backoff", () => {
  const opts = { baseDelayMs: 100, maxDelayMs: 1000 };
  it("grows exponentially up to the cap (random = 1 - ε gives the ceiling)", () => {
    const top = () => 0.999999;
    expect(backoffDelay(0, opts, top)).toBe(99);
    expect(backoffDelay(1, opts, top)).toBe(199);
    expect(backoffDelay(2, opts, top)).toBe(399);
    expect(backoffDelay(3, opts, top)).toBe(799);
    expect(backoffDelay(4, opts, top)).toBe(999);
    expect(backoffDelay(50, opts, top)).toBe(999);
  });
  it("uses full jitter: anywhere from 0", () => {
    expect(backoffDelay(5, opts, () => 0)).toBe(0);
    expect(backoffDelay(3, opts, () => 0.5)).toBe(400);
    const samples = Array.from({ length: 200 }, () => backoffDelay(3, opts));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(800);
    expect(new Set(samples).size).toBeGreaterThan(50);
  });
});

describe("timeoutError", () => {
  it("quotes the last error and keeps its action and RequestId", () => {
    const last = new ApiError({
      action: "DescribeInstances",
      code: "InternalError",
      message: "m",
      requestId: "r9",
    });
    const e = timeoutError(last);
    expect(e).toMatchObject({ code: LOCAL_CODES.timeout, action: "DescribeInstances", requestId: "r9" });
    expect(e.message).toMatch(/gave up at the operation deadline; last error: .*InternalError/);
    expect(timeoutError(null).message).toBe(
      "operation failed: [ClientError.Timeout] gave up at the operation deadline",
    );
  });
});

describe("RetryPolicy", () => {
  const settings = { baseDelayMs: 100, maxDelayMs: 1000, maxTransientAttempts: 3 };
  let now = 0;
  let random = 0.5;
  const policy = new RetryPolicy(
    () => settings,
    () => random,
    () => now,
  );
  beforeEach(() => {
    now = 0;
    random = 0.5;
  });
  const far = 1_000_000;

  it("never retries a fatal error", () => {
    const c = noRetries();
    const d = policy.decideOne(c, far, api("InvalidParameter"));
    expect(d.giveUp).toMatchObject({ code: "InvalidParameter" });
    expect(c).toEqual(noRetries());
  });

  it("backs off exponentially per class, with full jitter", () => {
    const c = noRetries();
    expect(policy.decideOne(c, far, api("InternalError"))).toEqual({
      cls: "transient",
      delayMs: 50,
      giveUp: null,
    });
    expect(policy.decideOne(c, far, api("InternalError")).delayMs).toBe(100);
    // Another class starts its own count: its first backoff, not the third.
    expect(policy.decideOne(c, far, api("RequestLimitExceeded")).delayMs).toBe(100);
    expect(policy.decideOne(c, far, api("RequestLimitExceeded")).delayMs).toBe(100);
    expect(policy.decideOne(c, far, api("RequestLimitExceeded")).delayMs).toBe(200);
    // Any transient code counts as the same class.
    expect(policy.decideOne(c, far, api("ServiceUnavailable", undefined)).giveUp).not.toBeNull();
    expect(c).toEqual({ throttling: 3, busy: 0, transient: 3 });
  });

  it("waits at least the base delay after throttling or busy, from 0 after transient errors", () => {
    random = 0;
    expect(policy.decideOne(noRetries(), far, api("RequestLimitExceeded")).delayMs).toBe(100);
    expect(policy.decideOne(noRetries(), far, api("MutexOperation.TaskRunning")).delayMs).toBe(100);
    expect(policy.decideOne(noRetries(), far, api("InternalError")).delayMs).toBe(0);
    random = 0.999999;
    const c: RetryCounts = { throttling: 3, busy: 0, transient: 0 };
    expect(policy.decideOne(c, far, api("RequestLimitExceeded")).delayMs).toBe(799);
  });

  it("gives transient errors maxTransientAttempts tries, throttling and busy until the deadline", () => {
    const t = noRetries();
    const seen = [1, 2, 3].map(() => policy.decideOne(t, far, api("InternalError")).giveUp?.code ?? "retry");
    expect(seen).toEqual(["retry", "retry", "InternalError"]);
    const b = noRetries();
    for (let i = 0; i < 20; i++)
      expect(policy.decideOne(b, far, api("MutexOperation.TaskRunning")).giveUp).toBeNull();
  });

  it("gives up with a timeout error when the retry would land at or past the deadline", () => {
    now = 1000;
    const late = policy.decideOne(noRetries(), 1100, api("RequestLimitExceeded"));
    expect(late.giveUp).toMatchObject({ code: LOCAL_CODES.timeout });
    expect(late.giveUp!.message).toMatch(/RequestLimitExceeded/);
    expect(policy.decideOne(noRetries(), 1101, api("RequestLimitExceeded")).giveUp).toBeNull();
  });

  it("retries a group together after the backoff of its most-tried member; each member gives up on its own", () => {
    type S = { name: string; counts: RetryCounts; deadline: number };
    const group: S[] = [
      { name: "fresh", counts: noRetries(), deadline: far },
      { name: "tried", counts: { throttling: 0, busy: 0, transient: 1 }, deadline: far },
      { name: "spent", counts: { throttling: 0, busy: 0, transient: 2 }, deadline: far },
      { name: "late", counts: noRetries(), deadline: 10 },
    ];
    const d = policy.decide(
      group,
      (s) => s.counts,
      (s) => s.deadline,
      api("InternalError"),
    );
    expect(d.cls).toBe("transient");
    expect(d.delayMs).toBe(100); // attempt 1 (of "tried"): half of 200
    expect(d.retry.map((s) => s.name)).toEqual(["fresh", "tried"]);
    expect(d.giveUp.map((g) => [g.subject.name, g.atDeadline, g.error.code])).toEqual([
      ["spent", false, "InternalError"],
      ["late", true, LOCAL_CODES.timeout],
    ]);
    expect(group.map((s) => s.counts.transient)).toEqual([1, 2, 3, 1]);
  });

  it("takes the class it is told (a busy instance named in another error)", () => {
    random = 0;
    const d = policy.decide(
      [noRetries()],
      (c) => c,
      () => far,
      api("FailedOperation"),
      "busy",
    );
    expect([d.cls, d.delayMs, d.retry.length]).toEqual(["busy", 100, 1]);
  });
});
