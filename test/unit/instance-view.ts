import type { InstanceView } from "../../provider/impl/api";

/** A running instance holding `sgs`, whose latest operation (an Associate that succeeded) was `requestId`. */
export function view(id: string, sgs: string[], requestId: string): InstanceView {
  return {
    instanceId: id,
    state: "RUNNING",
    securityGroupIds: sgs,
    latestOperation: "AssociateSecurityGroups",
    latestOperationState: "SUCCESS",
    latestOperationRequestId: requestId,
    latestOperationErrorMsg: "",
  };
}
