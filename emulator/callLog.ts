// The log of API calls (not control-plane calls) and per-action counters.
// Records hold secretIds only, never keys or tokens.

import type { CallRecord, Counters } from "./types";

const MAX_CALLS = 100_000;

export class CallLog {
  private calls: CallRecord[] = [];
  private seq = 0;
  // Null-prototype maps: action names and codes come from untrusted requests.
  private counters: Counters = { byAction: Object.create(null) };

  record(r: Omit<CallRecord, "seq">): CallRecord {
    const rec: CallRecord = { seq: ++this.seq, ...r };
    this.calls.push(rec);
    if (this.calls.length > MAX_CALLS) this.calls.splice(0, this.calls.length - MAX_CALLS);
    const key = r.action || "(none)";
    const c = (this.counters.byAction[key] ??= { total: 0, ok: 0, errors: Object.create(null) });
    c.total++;
    if (r.errorCode === undefined) c.ok++;
    else c.errors[r.errorCode] = (c.errors[r.errorCode] ?? 0) + 1;
    return rec;
  }

  list(sinceSeq = 0): CallRecord[] {
    return this.calls.filter((c) => c.seq > sinceSeq).map((c) => ({ ...c }));
  }

  getCounters(): Counters {
    return JSON.parse(JSON.stringify(this.counters)) as Counters;
  }

  reset(): void {
    this.calls = [];
    this.seq = 0;
    this.counters = { byAction: Object.create(null) };
  }
}
