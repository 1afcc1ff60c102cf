// Error classification and backoff, in the spirit of @smithy/util-retry:
// a classifier decides whether an error may be retried at all, a backoff
// strategy computes the delay (exponential, full jitter), and a deadline bounds
// the whole thing.

import { ApiError, LOCAL_CODES } from "./errors";

/**
 * - throttling: the API's rate limit. Retried until the deadline, after a backoff.
 * - busy: the instance or an identical job is busy. Retried until the deadline.
 * - transient: network errors, HTTP 5xx, InternalError and friends. Retried a
 *   limited number of times (maxTransientAttempts).
 * - fatal: validation, auth, not-found, quota... never retried.
 */
export type ErrorClass = "throttling" | "busy" | "transient" | "fatal";

const BUSY_CODES = new Set(["MutexOperation.TaskRunning", "OperationDenied.InstanceOperationInProgress"]);

/**
 * InternalError is retried (a bounded number of times), unlike Terraform's
 * provider: every operation here is idempotent and followed by a verification
 * through DescribeInstances, so a repeated Associate/Disassociate cannot do harm.
 */
const TRANSIENT_CODES = new Set([
  "InternalError",
  "ServiceUnavailable",
  "ResourceUnavailable",
  "ResourceInUse",
  "SecGroupActionFailure",
  LOCAL_CODES.network,
]);

export interface ClassifiableError {
  code?: string;
  httpStatus?: number;
}

export function classifyError(err: ClassifiableError | unknown): ErrorClass {
  const e = (err ?? {}) as ClassifiableError;
  const code = typeof e.code === "string" ? e.code : "";
  if (code.startsWith("RequestLimitExceeded")) return "throttling";
  if (e.httpStatus === 429) return "throttling";
  if (BUSY_CODES.has(code)) return "busy";
  if (TRANSIENT_CODES.has(code)) return "transient";
  if (code.startsWith("InternalError.") || code.startsWith("ResourceUnavailable.")) return "transient";
  if (code === LOCAL_CODES.http && e.httpStatus !== undefined && e.httpStatus >= 500) return "transient";
  if (
    code === LOCAL_CODES.http &&
    e.httpStatus !== undefined &&
    (e.httpStatus === 408 || e.httpStatus === 425)
  )
    return "transient";
  return "fatal";
}

export function isRetryable(err: unknown): boolean {
  return classifyError(err) !== "fatal";
}

export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Exponential backoff with full jitter: a uniformly random delay in
 * [0, min(max, base * 2^attempt)). `attempt` counts from 0.
 */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exp = Math.min(opts.maxDelayMs, opts.baseDelayMs * Math.pow(2, Math.max(0, Math.min(attempt, 30))));
  return Math.floor(random() * exp);
}

/** Like backoffDelay, but never below a floor (used after throttling, where retrying at once is pointless). */
export function backoffDelayWithFloor(
  attempt: number,
  opts: BackoffOptions,
  floorMs: number,
  random: () => number = Math.random,
): number {
  return Math.max(floorMs, backoffDelay(attempt, opts, random));
}

export class Deadline {
  readonly at: number;
  constructor(
    ms: number,
    private readonly now: () => number = Date.now,
  ) {
    this.at = now() + ms;
  }
  static at(at: number, now: () => number = Date.now): Deadline {
    const d = new Deadline(0, now);
    (d as { at: number }).at = at;
    return d;
  }
  remaining(): number {
    return Math.max(0, this.at - this.now());
  }
  expired(): boolean {
    return this.now() >= this.at;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export interface RetryOptions extends BackoffOptions {
  deadline: Deadline;
  maxTransientAttempts: number;
  classify?: (err: unknown) => ErrorClass;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each retry with the error and the delay. */
  onRetry?: (err: unknown, cls: ErrorClass, delayMs: number, attempt: number) => void;
}

/**
 * Runs `fn` until it succeeds, fails with a fatal error, runs out of transient
 * attempts, or the next delay would cross the deadline. The last error is
 * rethrown; when the deadline stops the retries it is wrapped in an ApiError
 * with code ClientError.Timeout that quotes the last error.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const classify = opts.classify ?? classifyError;
  const doSleep = opts.sleep ?? sleep;
  let transientFailures = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const cls = classify(err);
      if (cls === "fatal") throw err;
      if (cls === "transient") {
        transientFailures++;
        if (transientFailures >= opts.maxTransientAttempts) throw err;
      }
      const delay = backoffDelay(attempt, opts, opts.random);
      if (opts.deadline.remaining() <= delay) {
        throw timeoutError(err, opts.deadline);
      }
      opts.onRetry?.(err, cls, delay, attempt);
      await doSleep(delay);
    }
  }
}

export function timeoutError(last: unknown, _deadline?: Deadline): ApiError {
  const lastText = last instanceof Error ? last.message : String(last ?? "");
  const le = last as ApiError | undefined;
  return new ApiError({
    action: le?.action ?? "operation",
    code: LOCAL_CODES.timeout,
    message: `gave up at the operation deadline${lastText ? `; last error: ${lastText}` : ""}`,
    requestId: le?.requestId,
    retryable: false,
  });
}
