// The world of the integration suites: the seed (instances, groups, a second
// region) and the fake credentials the emulator accepts.
import type { Seed } from "../../emulator/index";

export const REGION = "ap-guangzhou";
export const SECRET_ID = "AKIDINTEGRATIONTEST00000000000000";
/** Fake secrets: must never appear in any error, output or log line. */
export const SECRET_KEY = "FAKE-SECRET-KEY-integration-5f3b9c2e71d04a8b";
export const TOKEN = "FAKE-SESSION-TOKEN-integration-9d8c7b6a5f4e";

export const sg = (n: number) => `sg-${String(n).padStart(8, "0")}`;
export const ins = (n: number) => `ins-${String(n).padStart(8, "0")}`;

/** A world of `instances` instances (ins-00000001...) holding `base` (sg-00000099) and SGs sg-00000001..sgs. */
export function makeSeed(
  opts: { instances?: number; sgs?: number; extra?: Record<string, string[]> } = {},
): Seed {
  const n = opts.instances ?? 10;
  const groups = opts.sgs ?? 10;
  const securityGroups = [{ id: sg(99), name: "base" }];
  for (let i = 1; i <= groups; i++) securityGroups.push({ id: sg(i), name: `g${i}` });
  const instances = [];
  for (let i = 1; i <= n; i++) {
    const id = ins(i);
    instances.push({
      id,
      zone: `${REGION}-3`,
      state: "RUNNING",
      securityGroupIds: opts.extra?.[id] ?? [sg(99)],
    });
  }
  return {
    credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY, token: TOKEN }],
    regions: {
      [REGION]: { securityGroups, instances },
      "ap-shanghai": {
        securityGroups: [{ id: "sg-sh000001", name: "sh" }],
        instances: [{ id: "ins-sh000001", zone: "ap-shanghai-2", state: "RUNNING", securityGroupIds: [] }],
      },
    },
  };
}
