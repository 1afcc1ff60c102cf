// The demo program: bind two security groups to the demo instances.
//
// With `npm run demo` it runs against the embedded CVM emulator (seeded from
// emulator/seeds/demo.json). Against the real cloud the program is the same;
// only the stack config changes (see README, "Real cloud"). In a real program
// the instance ids usually come from other resources, e.g.
// `new tencentcloud.Instance(...).id` from @tencentcloud_iac/pulumi.
import * as pulumi from "@pulumi/pulumi";
import { SecurityGroupAttachment } from "pulumi-tencentcloud-sg-attachment";

const config = new pulumi.Config();
const webInstances = config.getObject<string[]>("webInstances") ?? [
  "ins-demo0001",
  "ins-demo0002",
  "ins-demo0003",
];
const dbInstances = config.getObject<string[]>("dbInstances") ?? ["ins-demo0004", "ins-demo0005"];

const web = new SecurityGroupAttachment("web", {
  securityGroupId: config.get("webSecurityGroupId") ?? "sg-web00001",
  instanceIds: webInstances,
});

const db = new SecurityGroupAttachment("db", {
  securityGroupId: config.get("dbSecurityGroupId") ?? "sg-db000001",
  instanceIds: dbInstances,
});

export const webBinding = {
  securityGroupId: web.securityGroupId,
  instanceIds: web.instanceIds,
  priorities: web.priorities,
};
export const dbBinding = {
  securityGroupId: db.securityGroupId,
  instanceIds: db.instanceIds,
  priorities: db.priorities,
};
