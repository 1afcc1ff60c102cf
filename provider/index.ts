export { SecurityGroupAttachment } from "./resource";
export type { SecurityGroupAttachmentArgs } from "./resource";
export { SecurityGroupMembership } from "./membership";
export type { SecurityGroupMembershipArgs } from "./membership";
export type { AttachmentInputs, AttachmentOutputs, MembershipInputs, MembershipOutputs } from "./types";
