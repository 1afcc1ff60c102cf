// An intent journal that makes a killed or failed `pulumi up` recoverable.
//
// When a create is killed while binding, or the CLI is killed after the
// provider returned but before it wrote the state, or a failed create cannot
// undo what it bound, the bindings exist in the cloud but no state holds
// them. The next create of the SAME resource must take them back without
// `adoptExisting`, and nobody else may. So every entry is keyed by its owner:
// the resource's project, stack and name (see ownerOf in ../resource.ts),
// with the cloud (endpoint), region and group. Only a create of the same owner
// ever reads it; no time window decides anything.
//
// Life of an entry (one small JSON file per operation, written atomically):
// - `begin` before anything is bound;
// - `end` when what was bound was undone (or nothing was);
// - `keep` when an undo failed: the entry keeps exactly the bindings that stay;
// - `complete` when the operation returned (the engine writes the state only
//   after that: a kill can fall in between);
// - `settle` when a later operation of the owner shows the state holds the
//   instances (read, update, delete hand us the stored outputs): done with;
// - `forget` when the owner's resource was deleted.
// A create of the owner takes back the bindings named by its entries that are
// not running (the writing process is dead, or it returned); `release` drops
// what it took back.
//
// A create or update that fails does not need the journal: it records what
// it leaves in the stack's state (partial state, see PartialStateError in
// errors.ts). The entries matter when the process is killed before the state
// is written. Leftover temporary files of dead writers and records of earlier
// formats are swept when a journal is opened (journal-sweep.ts).
//
// By default in $PULUMI_HOME (or ~/.pulumi)/tencentcloud-sg-attachment/journal,
// so it does not follow a stack to another machine: see the README, "After a crash".

import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { removeQuietly, sweepOnce } from "./journal-sweep";

export interface JournalEntry {
  version: 2;
  /** `<project>/<stack>/<resource name>`: who may take these bindings back. */
  owner: string;
  endpoint: string;
  region: string;
  securityGroupId: string;
  instanceIds: string[];
  pid: number;
  /** When that process started (processStarted), so that a reused pid is not taken for it. */
  pidStarted?: string;
  host: string;
  startedAt: string;
  /** Set when the operation returned: the engine may still be killed before it writes the state. */
  completedAt?: string;
}

export interface Journal {
  /** Records the intent to bind; returns a handle, or undefined when nothing could be written. */
  begin(owner: string, securityGroupId: string, instanceIds: string[]): string | undefined;
  /** Everything bound was undone: forget the intent. */
  end(handle: string | undefined): void;
  /** An undo failed: the entry keeps exactly these bindings (they stay, and are ours). */
  keep(handle: string | undefined, instanceIds: readonly string[]): void;
  /** The operation returned its outputs. */
  complete(handle: string | undefined): void;
  /** Forgets `instanceIds` in an entry (taken back); deletes the entry once nothing is left in it. */
  release(handle: string, instanceIds: readonly string[]): void;
  /**
   * The bindings `owner` may take back for this group: those named by its
   * entries that are not running (a dead process, or an operation that returned).
   */
  interrupted(
    owner: string | undefined,
    securityGroupId: string,
  ): { instanceIds: Set<string>; handles: string[] };
  /** The state holds these instances for `owner`: entries not running that name no other are done with. */
  settle(owner: string | undefined, securityGroupId: string, inState: readonly string[]): void;
  /** The owner's resource was deleted: none of its entries for this group is needed any more. */
  forget(owner: string | undefined, securityGroupId: string): void;
}

export interface JournalOptions {
  now?: () => number;
  /** Whether a process of this host is alive, and is the one started at `started` when given (tests). */
  alive?: (pid: number, started?: string) => boolean;
  host?: string;
  pid?: number;
}

export function defaultJournalDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SGATTACH_JOURNAL_DIR) return env.SGATTACH_JOURNAL_DIR;
  const home = env.PULUMI_HOME || path.join(os.homedir(), ".pulumi");
  return path.join(home, "tencentcloud-sg-attachment", "journal");
}

/**
 * Whether the journal folder can be written; a sentence saying why not
 * otherwise. Checked by the program (see ../resource.ts), which can show a
 * warning: the provider process has no way to show one.
 */
export function journalProblem(dir: string): string | undefined {
  const probe = path.join(dir, `.probe-${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(probe, "");
    fs.rmSync(probe, { force: true });
    return undefined;
  } catch (e: any) {
    return (
      `the crash-recovery journal folder ${dir} cannot be written (${e?.code ?? e?.message ?? e}). ` +
      `Without it, bindings left by an interrupted pulumi up (a killed process) are not taken back automatically ` +
      `(see the README's recovery steps). Set SGATTACH_JOURNAL_DIR or PULUMI_HOME to a writable folder.`
    );
  }
}

/** When a process started (Linux: /proc/<pid>/stat `starttime`); undefined where that cannot be read. */
export function processStarted(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The fields after the command name (which may hold spaces) start at field 3; starttime is field 22.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Whether process `pid` is alive and, when `started` is known, is the same process (not a reused pid). */
export function processAlive(pid: number, started?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (e: any) {
    if (e?.code !== "EPERM") return false;
  }
  const now = started === undefined ? undefined : processStarted(pid);
  return now === undefined || now === started;
}

function readEntry(file: string): JournalEntry | null {
  try {
    const e = JSON.parse(fs.readFileSync(file, "utf8"));
    return e && e.version === 2 && typeof e.owner === "string" && Array.isArray(e.instanceIds) ? e : null;
  } catch {
    return null;
  }
}

/** Prefix of the entry files of one owner, cloud, region and group. */
function entryPrefix(owner: string, endpoint: string, region: string, sg: string): string {
  return createHash("sha256").update(`${owner}\n${endpoint}\n${region}\n${sg}`).digest("hex").slice(0, 24);
}

export function openJournal(
  dir: string,
  endpoint: string,
  region: string,
  opts: JournalOptions = {},
): Journal {
  const now = opts.now ?? Date.now;
  const alive = opts.alive ?? processAlive;
  const host = opts.host ?? os.hostname();
  const pid = opts.pid ?? process.pid;

  const pidStarted = processStarted(pid);
  const running = (e: JournalEntry) => !e.completedAt && e.host === host && alive(e.pid, e.pidStarted);
  const write = (file: string, e: object): boolean => {
    const tmp = `${file}.${pid}.tmp`;
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(tmp, JSON.stringify(e));
      fs.renameSync(tmp, file);
      return true;
    } catch {
      removeQuietly(tmp);
      return false;
    }
  };
  const entries = (prefix: string): { file: string; entry: JournalEntry }[] => {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return [];
    }
    const out: { file: string; entry: JournalEntry }[] = [];
    for (const name of names) {
      if (!name.startsWith(`${prefix}-`) || !name.endsWith(".json")) continue;
      const file = path.join(dir, name);
      const entry = readEntry(file);
      if (entry) out.push({ file, entry });
    }
    return out;
  };
  const ofOwner = (owner: string, sg: string) =>
    entries(entryPrefix(owner, endpoint, region, sg)).filter(
      ({ entry: e }) =>
        e.owner === owner && e.endpoint === endpoint && e.region === region && e.securityGroupId === sg,
    );
  const update = (file: string, change: (e: JournalEntry) => JournalEntry | null) => {
    const e = readEntry(file);
    if (!e) return;
    const next = change(e);
    if (next === null || next.instanceIds.length === 0) removeQuietly(file);
    else write(file, next);
  };

  sweepOnce(dir, host, alive);

  return {
    begin(owner, securityGroupId, instanceIds) {
      if (instanceIds.length === 0 || !owner) return undefined;
      const entry: JournalEntry = {
        version: 2,
        owner,
        endpoint,
        region,
        securityGroupId,
        instanceIds: [...instanceIds].sort(),
        pid,
        pidStarted,
        host,
        startedAt: new Date(now()).toISOString(),
      };
      const prefix = entryPrefix(owner, endpoint, region, securityGroupId);
      const file = path.join(dir, `${prefix}-${randomBytes(6).toString("hex")}.json`);
      return write(file, entry) ? file : undefined;
    },
    end(handle) {
      if (handle) removeQuietly(handle);
    },
    keep(handle, instanceIds) {
      if (!handle) return;
      const stay = new Set(instanceIds);
      update(handle, (e) => ({ ...e, instanceIds: e.instanceIds.filter((id) => stay.has(id)) }));
    },
    complete(handle) {
      if (handle) update(handle, (e) => ({ ...e, completedAt: new Date(now()).toISOString() }));
    },
    release(handle, instanceIds) {
      const taken = new Set(instanceIds);
      update(handle, (e) => {
        const rest = e.instanceIds.filter((id) => !taken.has(id));
        return rest.length === e.instanceIds.length ? e : { ...e, instanceIds: rest };
      });
    },
    interrupted(owner, securityGroupId) {
      const out = { instanceIds: new Set<string>(), handles: [] as string[] };
      if (!owner) return out;
      for (const { file, entry } of ofOwner(owner, securityGroupId)) {
        if (running(entry)) continue;
        for (const id of entry.instanceIds) out.instanceIds.add(id);
        out.handles.push(file);
      }
      return out;
    },
    settle(owner, securityGroupId, inState) {
      if (!owner) return;
      const held = new Set(inState);
      for (const { file, entry } of ofOwner(owner, securityGroupId)) {
        if (!running(entry) && entry.instanceIds.every((id) => held.has(id))) removeQuietly(file);
      }
    },
    forget(owner, securityGroupId) {
      if (!owner) return;
      for (const { file, entry } of ofOwner(owner, securityGroupId)) if (!running(entry)) removeQuietly(file);
    },
  };
}
