// The named CVM role (`tencentcloud:camRoleName`): temporary credentials from
// the instance metadata service, GET <metadata>/latest/meta-data/cam/security-credentials/<role>.
// The endpoint comes from the settings, so a local run reaches only loopback.

import * as http from "http";
import * as https from "https";
import { ApiError, LOCAL_CODES } from "./errors";
import { remember } from "./api";
import type { ExpiringCredentials } from "./renewal";
import { CONFIG_KEYS, type Endpoint } from "./settings";

export function fetchCamRoleCredentials(
  endpoint: Endpoint,
  roleName: string,
  timeoutMs: number,
): Promise<ExpiringCredentials> {
  const url = `${endpoint.url}/latest/meta-data/cam/security-credentials/${encodeURIComponent(roleName)}`;
  const fail = (why: string) =>
    new ApiError({
      action: "credentials",
      code: LOCAL_CODES.credentials,
      message:
        `Could not get credentials of the CVM role "${roleName}" from the metadata service at ${endpoint.url}: ${why}. ` +
        `Bind the role to this instance, or unset ${CONFIG_KEYS.camRoleName} / TENCENTCLOUD_CAM_ROLE_NAME.`,
    });
  const get = endpoint.protocol === "http://" ? http.get : https.get;
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(fail(`HTTP ${res.statusCode}`));
        try {
          const j = JSON.parse(body);
          if (j.Code !== "Success" || !j.TmpSecretId || !j.TmpSecretKey || typeof j.ExpiredTime !== "number")
            return reject(fail(`answer code ${JSON.stringify(j.Code)}`));
          const c = remember({ secretId: j.TmpSecretId, secretKey: j.TmpSecretKey, token: j.Token });
          resolve({ ...c, expiresAtMs: j.ExpiredTime * 1000 } as ExpiringCredentials);
        } catch {
          reject(fail("the answer is not JSON"));
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (e) => reject(fail(e.message)));
  });
}
