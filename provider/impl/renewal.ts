// Temporary credentials that renew themselves before they expire. One fetch
// at a time (callers that arrive during a renewal share it); the cached
// credentials are handed out until `refreshAt`, a quarter of their lifetime
// (at most 5 minutes) before they expire, so a request signed with them still
// arrives in time. `invalidate()` drops them at once (the API refused them).

import type { CredentialProvider, Credentials } from "./api";

export interface ExpiringCredentials extends Credentials {
  /** When the API stops accepting them (ms since the epoch). */
  expiresAtMs: number;
}

/** Renew this long before expiry at most, whatever the lifetime. */
const MAX_RENEWAL_MARGIN_MS = 5 * 60 * 1000;

export function renewalTime(obtainedAtMs: number, expiresAtMs: number): number {
  const lifetime = Math.max(0, expiresAtMs - obtainedAtMs);
  return expiresAtMs - Math.min(MAX_RENEWAL_MARGIN_MS, lifetime / 4);
}

export class RenewingCredentials implements CredentialProvider {
  private current: { creds: Credentials; refreshAt: number } | null = null;
  private pending: Promise<Credentials> | null = null;
  /** How many times fresh credentials were fetched (for tests and stats). */
  fetches = 0;

  constructor(
    readonly identity: string,
    private readonly fetch: () => Promise<ExpiringCredentials>,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<Credentials> {
    if (this.current && this.now() < this.current.refreshAt) return this.current.creds;
    this.pending ??= this.renew().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  invalidate(): void {
    this.current = null;
  }

  private async renew(): Promise<Credentials> {
    const obtainedAt = this.now();
    const c = await this.fetch();
    this.fetches++;
    const creds: Credentials = {
      secretId: c.secretId,
      secretKey: c.secretKey,
      ...(c.token ? { token: c.token } : {}),
    };
    this.current = { creds, refreshAt: renewalTime(obtainedAt, c.expiresAtMs) };
    return creds;
  }
}
