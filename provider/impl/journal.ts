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
  /**
   * Of `instanceIds`, those bound by interrupted creates of this group (a dead
   * process, or a create that returned), with the entries that hold them.
   */
  interrupted(
    securityGroupId: string,
    instanceIds: readonly string[],
  ): { instanceIds: Set<string>; handles: string[] };
  /** These bindings were removed: no interrupted intent may take them back any more. */
  forget(securityGroupId: string, instanceIds: readonly string[]): void;
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

function readEntry(file: string): JournalEntry | null {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as JournalEntry;
  } catch {
    return null;
  }
}

function expired(e: JournalEntry): boolean {
  return !!e.completedAt && Date.now() - Date.parse(e.completedAt) > COMPLETED_GRACE_MS;
}

function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    /* a leftover entry only widens a later recovery to bindings that were ours */
  }
}

/**
 * Which instances each entry file of a journal folder names, as last read.
 * Every create and every delete consults the journal: reading every entry
 * each time made a deployment of n resources cost n² file reads (minutes at
 * 1,000). An entry's name never changes and its instance list only shrinks,
 * so a cached list is a superset of the truth: good enough to find the few
 * candidate entries, which are then read afresh. Only new names are read.
 */
class EntryIndex {
  private readonly ids = new Map<string, readonly string[]>();
  constructor(private readonly dir: string) {}

  note(file: string, instanceIds: readonly string[]): void {
    this.ids.set(path.basename(file), instanceIds);
  }

  drop(file: string): void {
    this.ids.delete(path.basename(file));
  }

  /** Entry files of the prefix that may name one of `wanted`. */
  candidates(prefix: string, wanted: ReadonlySet<string>): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const p = `${prefix}-`;
    const out: string[] = [];
    const present = new Set<string>();
    for (const name of names) {
      if (!name.startsWith(p) || !name.endsWith(".json")) continue;
      present.add(name);
      const file = path.join(this.dir, name);
      let list = this.ids.get(name);
      if (!list) {
        const e = readEntry(file);
        if (e && expired(e)) {
          removeQuietly(file);
          continue;
        }
        list = e?.instanceIds ?? [];
        this.ids.set(name, list);
      }
      if (list.some((id) => wanted.has(id))) out.push(file);
    }
    for (const name of this.ids.keys()) if (name.startsWith(p) && !present.has(name)) this.ids.delete(name);
    return out;
  }
}

const indexes = new Map<string, EntryIndex>();

function indexOf(dir: string): EntryIndex {
  let ix = indexes.get(dir);
  if (!ix) {
    ix = new EntryIndex(dir);
    indexes.set(dir, ix);
  }
  return ix;
}

/**
 * A journal for one cloud (endpoint) and region. Failures to read or write it
 * never fail an operation: without it, recovery falls back to `adoptExisting`.
 */
export function openJournal(dir: string, endpoint: string, region: string): Journal {
  const index = indexOf(dir);
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
        index.note(file, entry.instanceIds);
        return file;
      } catch {
        return undefined;
      }
    },
    end(handle) {
      if (!handle) return;
      removeQuietly(handle);
      index.drop(handle);
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
          index.drop(handle);
        } else if (rest.length < e.instanceIds.length) {
          fs.writeFileSync(`${handle}.tmp`, JSON.stringify({ ...e, instanceIds: rest }));
          fs.renameSync(`${handle}.tmp`, handle);
          index.note(handle, rest);
        }
      } catch {
        /* gone or unreadable: nothing to release */
      }
    },
    interrupted(securityGroupId, instanceIds) {
      const out = { instanceIds: new Set<string>(), handles: [] as string[] };
      const wanted = new Set(instanceIds);
      for (const file of index.candidates(prefix(securityGroupId), wanted)) {
        // The index only narrows the search: judge the entry as it is now.
        const e = readEntry(file);
        if (!e) continue;
        if (expired(e)) {
          removeQuietly(file);
          continue;
        }
        const ours = e.endpoint === endpoint && e.region === region && e.securityGroupId === securityGroupId;
        const running = !e.completedAt && e.host === os.hostname() && processAlive(e.pid);
        if (!ours || running) continue;
        const hit = e.instanceIds.filter((id) => wanted.has(id));
        if (hit.length === 0) continue;
        for (const id of hit) out.instanceIds.add(id);
        out.handles.push(file);
      }
      return out;
    },
    forget(securityGroupId, instanceIds) {
      for (const h of this.interrupted(securityGroupId, instanceIds).handles) this.release(h, instanceIds);
    },
  };
}
