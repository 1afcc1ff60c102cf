// Exactly the instances listed in the stack config hold the admin group in
// this region; every other holder is unbound, once you have seen it named.
//
//   pulumi config set tencentcloud:region ap-guangzhou
//   pulumi config set securityGroupId sg-admin001
//   pulumi config set instanceIds '["ins-demo0001","ins-demo0002"]'
//   pulumi preview --diff        # bindingsToRemove names each holder it would unbind
//   pulumi config set maxForeignRemovals 2   # only after reading that list
//   pulumi up
import * as pulumi from "@pulumi/pulumi";
import { SecurityGroupMembership } from "pulumi-tencentcloud-sg-attachment";

const config = new pulumi.Config();

const admins = new SecurityGroupMembership("admins", {
  securityGroupId: config.require("securityGroupId"),
  instanceIds: config.requireObject<string[]>("instanceIds"),
  // Default 0: preview and up refuse to unbind any instance the program does not list.
  maxForeignRemovals: config.getNumber("maxForeignRemovals") ?? 0,
  // Default false: destroy leaves the instances that held the group before.
  removeAllOnDestroy: config.getBoolean("removeAllOnDestroy") ?? false,
});

export const members = admins.instanceIds;
/** Bound by this resource (unbound on destroy). */
export const boundByUs = admins.boundInstanceIds;
/** Held the group before it was declared (left on destroy). */
export const preexisting = admins.preexistingInstanceIds;
