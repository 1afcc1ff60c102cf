// The scheduler's shared vocabulary: operations, their results, and the item
// that carries one operation on one instance through the parts.

import type { ApiError } from "../errors";
import type { CvmTransport, InstanceView } from "../api";
import type { Ticket } from "../rate-limit";
import type { RetryCounts } from "../retry";
import type { Tuning } from "../settings";
import type { EngineLoad } from "./gathering";

export type OpKind = "associate" | "disassociate";
export type LimiterName = OpKind | "describe";

export const ACTION_OF: Record<LimiterName, string> = {
  associate: "AssociateSecurityGroups",
  disassociate: "DisassociateSecurityGroups",
  describe: "DescribeInstances",
};

/** Why an operation ended well. */
export type DoneNote = "applied" | "alreadyInState" | "instanceGone" | "securityGroupGone";
/** Why an operation ended badly. */
export type FailReason =
  | "instanceNotFound"
  | "securityGroupNotFound"
  | "limitExceeded"
  | "operationFailed"
  | "rejected"
  | "timeout"
  | "notApplied";

/**
 * `unanswered`: a request of ours for this instance got no reply (a network
 * error or a non-200 reply): the API may have applied it without telling us.
 */
export type OpResult =
  | {
      instanceId: string;
      ok: true;
      note: DoneNote;
      instance: InstanceView | null;
      requestId: string;
      unanswered?: boolean;
    }
  | {
      instanceId: string;
      ok: false;
      reason: FailReason;
      error: ApiError;
      requestId: string;
      unanswered?: boolean;
    };

/** The part of RateLimiter the scheduler uses. */
export interface LimiterLike {
  acquire(): Promise<Ticket>;
  penalize(ms: number): void;
}

export interface SchedulerDeps {
  transport: CvmTransport;
  tuning: () => Tuning;
  limiter: (name: LimiterName) => LimiterLike;
  now?: () => number;
  random?: () => number;
  /** Defaults to the process's `engineLoad`. */
  load?: EngineLoad;
}

/**
 * Where an item is:
 * - queued: behind an earlier operation on its instance, or backing off before a retry;
 * - gathering: in a batch waiting for its gather window to close;
 * - sending: in a request on its way (or waiting for a rate-limit ticket);
 * - waiting: its request was accepted (`requestId`); polled until it settles;
 * - verifying: the request was refused in a way that may mean "already so"
 *   (`refusal`); polled once the instance is idle to see which;
 * - done: answered.
 */
export type Mode = "queued" | "gathering" | "sending" | "waiting" | "verifying" | "done";

/** One operation on one instance. */
export interface Item {
  kind: OpKind;
  sg: string;
  id: string;
  deadline: number;
  resolve: (r: OpResult) => void;
  mode: Mode;
  /** The accepted request being waited on; "" before one was accepted (or after it was lost). */
  requestId: string;
  /** While verifying: the refusal, reported if the instance is not as wanted. */
  refusal: ApiError | null;
  retries: RetryCounts;
  /** Accepted requests re-sent because they never took effect. */
  reissues: number;
  /** Since when the instance has looked idle and not as wanted (a lost request?). */
  mismatchSince: number | null;
  /** The latest error seen, quoted when the deadline ends the operation. */
  lastError: ApiError | null;
  /** When the request was accepted (or the verification began). */
  sentAt: number;
  /** When the item wants its next poll. */
  dueAt: number;
  /** A request for it got no reply (see OpResult). */
  unanswered: boolean;
}
