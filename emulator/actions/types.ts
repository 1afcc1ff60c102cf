// What an action handler sees and returns.

import type { BindingRules } from "../model/bindings";
import type { IdentityStore } from "../model/identity";
import type { OperationsEngine } from "../model/operations";
import type { World } from "../model/world";
import type { ObjectSchema } from "../protocol/params";

export interface ActionContext {
  world: World;
  ops: OperationsEngine;
  rules: BindingRules;
  region: string;
  requestId: string;
  identity: IdentityStore;
  /** The authenticated secretId of the request. */
  callerSecretId: string;
  nowMs: number;
  /** Lifetime forced on issued temporary keys (runtime config), or null. */
  stsTokenLifetimeSeconds: number | null;
  /** instanceId -> LatestOperationErrorMsg from matching operationFailure faults (consumes them). */
  operationFailures(action: string, instanceIds: string[]): Map<string, string>;
}

export interface ActionDef {
  name: string;
  /** The product the action belongs to (informational: dispatch is by action name). */
  service: "cvm" | "vpc" | "sts";
  version: string;
  /** STS is not regional: any region (or none) is accepted. */
  global?: boolean;
  schema: ObjectSchema;
  /** Returns the Response fields (RequestId is added by the envelope). Throws ApiFault. */
  handler(params: Record<string, unknown>, ctx: ActionContext): Record<string, unknown>;
}
