import { ApiError, LOCAL_CODES } from "../../provider/impl/errors";
import {
  backoffDelay,
  backoffDelayWithFloor,
  classifyError,
  Deadline,
  isRetryable,
  withRetry,
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

  it("treats anything without a code as fatal and isRetryable mirrors it", () => {
    expect(classifyError(new Error("x"))).toBe("fatal");
    expect(classifyError(undefined)).toBe("fatal");
    expect(isRetryable(api("RequestLimitExceeded"))).toBe(true);
    expect(isRetryable(api("InvalidParameter"))).toBe(false);
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
  it("can enforce a floor", () => {
    expect(backoffDelayWithFloor(0, opts, 250, () => 0)).toBe(250);
    expect(backoffDelayWithFloor(3, opts, 250, () => 0.5)).toBe(400);
  });
});

describe("Deadline", () => {
  it("counts down with the injected clock", () => {
    let now = 1000;
    const d = new Deadline(500, () => now);
    expect(d.at).toBe(1500);
    expect(d.remaining()).toBe(500);
    now = 1400;
    expect(d.expired()).toBe(false);
    now = 1600;
    expect(d.expired()).toBe(true);
    expect(d.remaining()).toBe(0);
    expect(Deadline.at(42, () => 0).at).toBe(42);
  });
});

describe("withRetry", () => {
  const fast = { baseDelayMs: 1, maxDelayMs: 4, maxTransientAttempts: 3, sleep: async () => undefined };

  it("retries throttling and busy until success", async () => {
    const errors = [api("RequestLimitExceeded"), api("OperationDenied.InstanceOperationInProgress")];
    const seen: string[] = [];
    const r = await withRetry(
      async (attempt) => {
        if (attempt < errors.length) throw errors[attempt];
        return "ok";
      },
      { ...fast, deadline: new Deadline(10_000), onRetry: (_e, cls) => seen.push(cls) },
    );
    expect(r).toBe("ok");
    expect(seen).toEqual(["throttling", "busy"]);
  });

  it("never retries fatal errors", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw api("InvalidSgId.Malformed");
        },
        { ...fast, deadline: new Deadline(10_000) },
      ),
    ).rejects.toMatchObject({ code: "InvalidSgId.Malformed" });
    expect(calls).toBe(1);
  });

  it("gives transient errors a bounded number of attempts", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw api("InternalError");
        },
        { ...fast, deadline: new Deadline(10_000) },
      ),
    ).rejects.toMatchObject({ code: "InternalError" });
    expect(calls).toBe(3);
  });

  it("stops at the deadline with a timeout error quoting the last error", async () => {
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw api("RequestLimitExceeded");
      },
      {
        baseDelayMs: 100,
        maxDelayMs: 100,
        maxTransientAttempts: 3,
        deadline: new Deadline(0),
        random: () => 0.5,
      },
    ).catch((e) => e);
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe(LOCAL_CODES.timeout);
    expect(err.message).toMatch(/RequestLimitExceeded/);
  });
});
