// Shared fixtures for the end-to-end suites: an emulator seeded with a small
// world, the stack settings that point the provider at it, secret scans.
import { startEmulator, type RunningEmulator, type Seed } from "../../emulator";

export const REGION = "ap-guangzhou";
export const SECRET_ID = "AKIDE2ETESTSECRETID000000000000000";
// Distinctive, so that a scan for it cannot match anything by accident.
export const SECRET_KEY = "e2e-SECRET-KEY-never-in-state-7f3c9a";

/** An unmanaged group every instance starts with: no operation may ever touch it. */
export const OTHER_SG = "sg-other001";

export function seedWorld(instanceCount = 6, groups = ["sg-aaaa0001", "sg-bbbb0002", "sg-cccc0003"]): Seed {
  const instances = [];
  for (let i = 1; i <= instanceCount; i++) {
    instances.push({
      id: `ins-e2e${String(i).padStart(5, "0")}`,
      zone: `${REGION}-3`,
      state: "RUNNING",
      securityGroupIds: [OTHER_SG],
    });
  }
  return {
    credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }],
    regions: {
      [REGION]: {
        securityGroups: [OTHER_SG, ...groups].map((id) => ({ id, name: id })),
        instances,
      },
    },
  };
}

export function ins(i: number): string {
  return `ins-e2e${String(i).padStart(5, "0")}`;
}

export async function startWorld(seed: Seed, latencyMs = 150): Promise<RunningEmulator> {
  return startEmulator({ seed, operationLatencyMs: latencyMs });
}

/** Environment for the CLI (and so the provider process) to reach the emulator. */
export function providerEnv(emulator: RunningEmulator): Record<string, string> {
  return {
    TENCENTCLOUD_CVM_ENDPOINT: emulator.url,
    TENCENTCLOUD_SKIP_CVM_ROLE: "true",
    // Credentials come from the stack config in these suites; make sure the
    // machine's own environment cannot supply others.
    TENCENTCLOUD_SECRET_ID: "",
    TENCENTCLOUD_SECRET_KEY: "",
    TENCENTCLOUD_REGION: "",
    TENCENTCLOUD_PROFILE: "",
    TENCENTCLOUD_ASSUME_ROLE_ARN: "",
    TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME: "",
    TENCENTCLOUD_CAM_ROLE_NAME: "",
  };
}

/** Stack config: region + id in plain text, the key as a secret. */
export const stackConfig = { "tencentcloud:region": REGION, "tencentcloud:secretId": SECRET_ID };
export const stackSecrets = { "tencentcloud:secretKey": SECRET_KEY };

/** The official SDK as "another client" of the cloud, for changes made outside Pulumi. */
export function outsideClient(emulator: RunningEmulator): any {
  const { cvm } = require("tencentcloud-sdk-nodejs-cvm");
  return new cvm.v20170312.Client({
    credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
    region: REGION,
    profile: { httpProfile: { endpoint: emulator.url.replace(/^http:\/\//, ""), protocol: "http://" } },
  });
}
