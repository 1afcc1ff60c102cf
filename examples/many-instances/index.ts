// One security group on many instances, and a second group whose instances
// are split between two attachments (say, a canary and the rest).
//
// - `fleet` binds `fleetGroupId` to every instance of `instanceIds`: one
//   resource, whatever the number of instances (requests of up to 100
//   instances, at most 10 requests per second).
// - `canary` and `main` share `appGroupId`: the first `canaryCount` instances
//   belong to `canary`, the others to `main`. Raising `canaryCount` moves
//   instances from `main` to `canary`: both attachments are updated in place.
import * as pulumi from "@pulumi/pulumi";
import { SecurityGroupAttachment } from "pulumi-tencentcloud-sg-attachment";

const config = new pulumi.Config();
const instanceIds = config.requireObject<string[]>("instanceIds");
const appGroupId = config.require("appGroupId");
const canaryCount = config.getNumber("canaryCount") ?? 1;
if (canaryCount < 1 || canaryCount >= instanceIds.length) {
  throw new Error(`canaryCount must be between 1 and ${instanceIds.length - 1}, got ${canaryCount}`);
}

const fleet = new SecurityGroupAttachment("fleet", {
  securityGroupId: config.require("fleetGroupId"),
  instanceIds,
});

const canary = new SecurityGroupAttachment("canary", {
  securityGroupId: appGroupId,
  instanceIds: instanceIds.slice(0, canaryCount),
});

const main = new SecurityGroupAttachment("main", {
  securityGroupId: appGroupId,
  instanceIds: instanceIds.slice(canaryCount),
});

export const fleetInstances = fleet.instanceIds.apply((ids) => ids.length);
export const canaryInstances = canary.instanceIds;
export const mainInstances = main.instanceIds.apply((ids) => ids.length);
