// Binds the instances listed in the stack config to one security group.
//
//   pulumi config set tencentcloud:region ap-guangzhou
//   pulumi config set securityGroupId sg-web00001
//   pulumi config set instanceIds '["ins-demo0001","ins-demo0002"]'
//   pulumi up
import * as pulumi from "@pulumi/pulumi";
import { SecurityGroupAttachment } from "pulumi-tencentcloud-sg-attachment";

const config = new pulumi.Config();

const web = new SecurityGroupAttachment("web", {
  securityGroupId: config.require("securityGroupId"),
  instanceIds: config.requireObject<string[]>("instanceIds"),
});

export const boundInstanceIds = web.instanceIds;
/** The position of the group in each instance's list (0 = highest priority). */
export const priorities = web.priorities;
