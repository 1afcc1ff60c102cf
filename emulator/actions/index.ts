// The action registry. CVM, VPC and STS action names never collide, so requests
// are dispatched by action name whatever service the credential scope names.

import { CVM_ACTIONS } from "./cvm";
import type { ActionDef } from "./types";
import { STS_ACTIONS } from "./sts";
import { VPC_ACTIONS } from "./vpc";

const registry = new Map<string, ActionDef>();
for (const a of [...CVM_ACTIONS, ...VPC_ACTIONS, ...STS_ACTIONS]) registry.set(a.name, a);

export function findAction(name: string): ActionDef | undefined {
  return registry.get(name);
}

export type { ActionContext, ActionDef } from "./types";
