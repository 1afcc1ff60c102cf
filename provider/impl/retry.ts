// Error classification, backoff and the retry decisions, in the spirit of
// @smithy/util-retry's StandardRetryStrategy: `classifyError` says whether an
// error may be retried at all, and one `RetryPolicy` decides, for every retry
// path of the scheduler, whether to try again and after how long.

import { ApiError, LOCAL_CODES } from "./errors";

/**
 * - throttling: the API's rate limit. Retried until the deadline, after a backoff.
 * - busy: the instance or an identical job is busy. Retried until the deadline.
 * - transient: network errors, HTTP 5xx, InternalError and friends. Retried a
 *   limited number of times (maxTransientAttempts).
 * - fatal: validation, auth, not-found, quota... never retried.
 */
export type ErrorClass = "throttling" | "busy" | "transient" | "fatal";
export type RetryableClass = Exclude<ErrorClass, "fatal">;

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

/** The error a retry loop gives up with at its deadline; it quotes the last error. */
export function timeoutError(last: unknown): ApiError {
  const lastText = last instanceof Error ? last.message : String(last ?? "");
  const le = last as ApiError | undefined;
  return new ApiError({
    action: le?.action ?? "operation",
    code: LOCAL_CODES.timeout,
    message: `gave up at the operation deadline${lastText ? `; last error: ${lastText}` : ""}`,
    requestId: le?.requestId,
  });
}

export interface RetrySettings extends BackoffOptions {
  maxTransientAttempts: number;
}

/** Failures so far of one subject (an instance's operation, a look-up), by class. */
export type RetryCounts = Record<RetryableClass, number>;

export function noRetries(): RetryCounts {
  return { throttling: 0, busy: 0, transient: 0 };
}

/** Why a subject stops retrying: the error is fatal, its transient attempts are spent, or the deadline. */
export interface GiveUp<T> {
  subject: T;
  error: ApiError;
  atDeadline: boolean;
}

export interface RetryDecision<T> {
  cls: ErrorClass;
  /** Subjects to try again after `delayMs`. */
  retry: T[];
  delayMs: number;
  giveUp: GiveUp<T>[];
}

/**
 * Decides whether subjects that failed together (one request) try again, and
 * when. Each counts the failure in its own `RetryCounts`; they retry together
 * after one delay, the backoff of the most-tried of them: exponential with full
 * jitter, and at least the base delay after throttling or busy (retrying at
 * once is pointless there). A fatal error, a spent transient budget or a
 * retry that would land past a subject's deadline gives that subject up.
 */
export class RetryPolicy {
  constructor(
    private readonly settings: () => RetrySettings,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  decide<T>(
    subjects: T[],
    countsOf: (s: T) => RetryCounts,
    deadlineOf: (s: T) => number,
    err: ApiError,
    cls: ErrorClass = classifyError(err),
  ): RetryDecision<T> {
    const s = this.settings();
    if (cls === "fatal") {
      return { cls, retry: [], delayMs: 0, giveUp: subjects.map((subject) => this.stop(subject, err)) };
    }
    const giveUp: GiveUp<T>[] = [];
    const alive: T[] = [];
    let attempt = 0;
    for (const subject of subjects) {
      const counts = countsOf(subject);
      const previous = counts[cls]++;
      if (cls === "transient" && counts.transient >= s.maxTransientAttempts) {
        giveUp.push(this.stop(subject, err));
        continue;
      }
      attempt = Math.max(attempt, previous);
      alive.push(subject);
    }
    const floor = cls === "transient" ? 0 : s.baseDelayMs;
    const delayMs = Math.max(floor, backoffDelay(attempt, s, this.random));
    const at = this.now() + delayMs;
    const retry: T[] = [];
    for (const subject of alive) {
      if (at >= deadlineOf(subject)) giveUp.push({ subject, error: timeoutError(err), atDeadline: true });
      else retry.push(subject);
    }
    return { cls, retry, delayMs, giveUp };
  }

  /** `decide` for one subject: the wait before its next try, or the error to give up with. */
  decideOne(
    counts: RetryCounts,
    deadline: number,
    err: ApiError,
  ): { cls: ErrorClass; delayMs: number; giveUp: ApiError | null } {
    const d = this.decide(
      [counts],
      (c) => c,
      () => deadline,
      err,
    );
    return { cls: d.cls, delayMs: d.delayMs, giveUp: d.giveUp[0]?.error ?? null };
  }

  private stop<T>(subject: T, error: ApiError): GiveUp<T> {
    return { subject, error, atDeadline: false };
  }
}
