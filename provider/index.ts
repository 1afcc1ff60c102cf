export { SecurityGroupAttachment } from "./resource";
export type { SecurityGroupAttachmentArgs } from "./resource";
export type { AttachmentInputs, AttachmentOutputs } from "./types";
