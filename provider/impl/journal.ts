// An intent journal that makes a killed `pulumi up` recoverable.
//
// When the CLI and the provider are killed while a create is binding, the
// bindings exist in the cloud but the state holds no resource for them. The
// next `up` creates the resource again, sees instances that already hold the
// group, and (rightly, for bindings made by someone else) refuses them. The
// journal tells the two cases apart: before a create binds anything it writes
// what it is about to bind; it removes the entry when the create was undone,
// and marks it completed when the create returned (the engine records the
// resource only after that, so a kill can still fall in between; completed
// entries are kept for an hour). An entry whose process is dead, or that is
// completed, is a create of ours: a later create of the same group in the same
// region and cloud may take those bindings back without `adoptExisting`
// (within one deployment, the in-process claims of operations.ts still refuse
// a second owner).
//
// One small JSON file per create in flight, written atomically; by default in
// $PULUMI_HOME (or ~/.pulumi)/tencentcloud-sg-attachment/journal.

import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface JournalEntry {
  endpoint: string;
  region: string;
  securityGroupId: string;
  instanceIds: string[];
  pid: number;
  host: string;
  startedAt: string;
  /** Set when the create returned: the engine may still be killed before it records it. */
  completedAt?: string;
}

/**
 * How long a finished create's intent is kept. The provider returns the new
 * resource to the engine and only then does the CLI write it to the state; a
 * kill in between leaves bindings that are ours but in no state. Within this
 * window, such bindings are taken back too.
 */
export const COMPLETED_GRACE_MS = 60 * 60 * 1000;

export interface Journal {
  /** Records the intent to bind; returns a handle for `end`. */
  begin(securityGroupId: string, instanceIds: string[]): string | undefined;
  /** The create was undone: forget the intent. */
  end(handle: string | undefined): void;
  /** The create returned: keep the intent for COMPLETED_GRACE_MS (see there). */
  complete(handle: string | undefined): void;
  /**
   * Forgets `instanceIds` in an interrupted entry (they were taken back);
   * deletes the entry once nothing is left in it. Other creates, for other
   * instances of the same group, still find theirs.
   */
  release(handle: string, instanceIds: readonly string[]): void;
  /** Instances bound by interrupted creates (dead processes) of this group. */
  interrupted(securityGroupId: string): { instanceIds: Set<string>; handles: string[] };
}

export function defaultJournalDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SGATTACH_JOURNAL_DIR) return env.SGATTACH_JOURNAL_DIR;
  const home = env.PULUMI_HOME || path.join(os.homedir(), ".pulumi");
  return path.join(home, "tencentcloud-sg-attachment", "journal");
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: any) {
    return e?.code === "EPERM";
  }
}

/**
 * A journal for one cloud (endpoint) and region. Failures to read or write it
 * never fail an operation: without it, recovery falls back to `adoptExisting`.
 */
export function openJournal(dir: string, endpoint: string, region: string): Journal {
  const prefix = (sg: string) =>
    createHash("sha256").update(`${endpoint}\n${region}\n${sg}`).digest("hex").slice(0, 16);
  return {
    begin(securityGroupId, instanceIds) {
      if (instanceIds.length === 0) return undefined;
      const entry: JournalEntry = {
        endpoint,
        region,
        securityGroupId,
        instanceIds: [...instanceIds],
        pid: process.pid,
        host: os.hostname(),
        startedAt: new Date().toISOString(),
      };
      const file = path.join(dir, `${prefix(securityGroupId)}-${randomBytes(6).toString("hex")}.json`);
      try {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(`${file}.tmp`, JSON.stringify(entry));
        fs.renameSync(`${file}.tmp`, file);
        return file;
      } catch {
        return undefined;
      }
    },
    end(handle) {
      if (!handle) return;
      try {
        fs.rmSync(handle, { force: true });
      } catch {
        /* a leftover entry only widens a later recovery to bindings that were ours */
      }
    },
    complete(handle) {
      if (!handle) return;
      try {
        const e = JSON.parse(fs.readFileSync(handle, "utf8")) as JournalEntry;
        fs.writeFileSync(`${handle}.tmp`, JSON.stringify({ ...e, completedAt: new Date().toISOString() }));
        fs.renameSync(`${handle}.tmp`, handle);
      } catch {
        /* without it, recovery falls back to adoptExisting */
      }
    },
    release(handle, instanceIds) {
      try {
        const e = JSON.parse(fs.readFileSync(handle, "utf8")) as JournalEntry;
        const taken = new Set(instanceIds);
        const rest = e.instanceIds.filter((id) => !taken.has(id));
        if (rest.length === 0) {
          fs.rmSync(handle, { force: true });
        } else if (rest.length < e.instanceIds.length) {
          fs.writeFileSync(`${handle}.tmp`, JSON.stringify({ ...e, instanceIds: rest }));
          fs.renameSync(`${handle}.tmp`, handle);
        }
      } catch {
        /* gone or unreadable: nothing to release */
      }
    },
    interrupted(securityGroupId) {
      const out = { instanceIds: new Set<string>(), handles: [] as string[] };
      let names: string[];
      try {
        names = fs.readdirSync(dir);
      } catch {
        return out;
      }
      const p = `${prefix(securityGroupId)}-`;
      for (const name of names) {
        if (!name.startsWith(p) || !name.endsWith(".json")) continue;
        const file = path.join(dir, name);
        try {
          const e = JSON.parse(fs.readFileSync(file, "utf8")) as JournalEntry;
          if (e.completedAt && Date.now() - Date.parse(e.completedAt) > COMPLETED_GRACE_MS) {
            fs.rmSync(file, { force: true });
            continue;
          }
          const ours =
            e.endpoint === endpoint && e.region === region && e.securityGroupId === securityGroupId;
          const running = !e.completedAt && e.host === os.hostname() && processAlive(e.pid);
          if (!ours || running) continue;
          for (const id of e.instanceIds) out.instanceIds.add(id);
          out.handles.push(file);
        } catch {
          /* unreadable entry: ignore */
        }
      }
      return out;
    },
  };
}
