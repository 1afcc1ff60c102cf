// The demo program (`npm run demo`, root Pulumi.yaml): two attachments of the
// `web` group, which split its instances between two owners, and one of the
// `db` group. `npm run demo` changes the stack config between its steps (an
// instance removed, an instance moved from `web` to `web-canary`, the `db`
// group changed) to show what the provider decides for each.
//
// It runs against the embedded CVM emulator (seed: emulator/seeds/demo.json).
// No stack outputs: the demo prints each instance's groups itself. For
// standalone projects to copy, see examples/.
import * as pulumi from "@pulumi/pulumi";
import { SecurityGroupAttachment } from "pulumi-tencentcloud-sg-attachment";

const config = new pulumi.Config();
const webGroup = config.get("webSecurityGroupId") ?? "sg-web00001";

new SecurityGroupAttachment("web", {
  securityGroupId: webGroup,
  instanceIds: config.getObject<string[]>("webInstances") ?? ["ins-demo0001", "ins-demo0002", "ins-demo0003"],
});

new SecurityGroupAttachment("web-canary", {
  securityGroupId: webGroup,
  instanceIds: config.getObject<string[]>("canaryInstances") ?? ["ins-demo0006"],
});

new SecurityGroupAttachment("db", {
  securityGroupId: config.get("dbSecurityGroupId") ?? "sg-db000001",
  instanceIds: config.getObject<string[]>("dbInstances") ?? ["ins-demo0004", "ins-demo0005"],
});
