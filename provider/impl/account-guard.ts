// `tencentcloud:allowedAccountIds`: before the first call that could change
// anything, STS GetCallerIdentity says whose account the credentials belong
// to. Checked once per provider process and credential chain; a mismatch is
// remembered (it cannot change within the process), a failed look-up is not.

import type { CredentialProvider } from "./api";
import { ProviderError } from "./errors";
import { CONFIG_KEYS } from "./settings";
import type { StsApi } from "./sts";

const checks = new Map<string, Promise<void>>();

class AccountNotAllowedError extends ProviderError {
  constructor(
    readonly accountId: string,
    readonly allowed: string[],
    source: string,
  ) {
    super(
      `The credentials (${source}) belong to Tencent Cloud account ${accountId || "(unknown)"}, but ` +
        `${CONFIG_KEYS.allowedAccountIds} allows only ${allowed.join(", ")}. Nothing was changed. ` +
        `Use credentials of an allowed account, or add ${accountId || "the account"} to ${CONFIG_KEYS.allowedAccountIds}.`,
    );
    this.name = "AccountNotAllowedError";
  }
}

export function ensureAllowedAccount(
  key: string,
  allowed: string[],
  credentials: CredentialProvider,
  sts: StsApi,
): Promise<void> {
  if (allowed.length === 0) return Promise.resolve();
  const k = `${key}|${allowed.join(",")}`;
  let check = checks.get(k);
  if (!check) {
    check = (async () => {
      const me = await sts.callerIdentity(await credentials.get());
      if (!allowed.includes(me.accountId))
        throw new AccountNotAllowedError(me.accountId, allowed, credentials.identity);
    })();
    checks.set(k, check);
    check.catch((e) => {
      if (!(e instanceof AccountNotAllowedError)) checks.delete(k);
    });
  }
  return check;
}

/** For tests. */
export function resetAccountChecks(): void {
  checks.clear();
}
