// Cleaning a journal folder: what no create can use any more, swept once per
// folder and process when a journal is opened (see journal.ts).

import * as fs from "fs";
import * as path from "path";

export function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    /* a leftover entry is only read by its own owner */
  }
}

/** Folders already swept by this process. */
const swept = new Set<string>();

/** Forgets which folders were swept, so that the next open sweeps again. For tests. */
export function resetJournalSweeps(): void {
  swept.clear();
}

/** Sweeps `dir` unless this process did already. */
export function sweepOnce(
  dir: string,
  host: string,
  alive: (pid: number, started?: string) => boolean,
): void {
  if (swept.has(dir)) return;
  swept.add(dir);
  sweep(dir, host, alive);
}

/**
 * Removes what no create can use any more: temporary files whose writer (this
 * host) is dead, the given-away records of earlier versions, and entries of the
 * earlier format (no owner: no create would ever match them) whose process is
 * dead or that had returned.
 */
export function sweep(dir: string, host: string, alive: (pid: number, started?: string) => boolean): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    const tmp = /\.(\d+)\.tmp$/.exec(name);
    if (tmp) {
      if (!alive(Number(tmp[1]))) removeQuietly(file);
      continue;
    }
    // The earlier format wrote `<entry>.json.tmp`, without a pid: never a live write by now.
    if (name.endsWith(".json.tmp")) {
      removeQuietly(file);
      continue;
    }
    // What an update gave up, recorded by earlier versions: a failed update's state records it now.
    if (name.endsWith(".given.json")) {
      removeQuietly(file);
      continue;
    }
    if (!name.endsWith(".json")) continue;
    let e: any;
    try {
      e = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
      continue;
    }
    const legacy = !e || e.version !== 2;
    const deadOrDone = !!e?.completedAt || e?.host !== host || !alive(Number(e?.pid), e?.pidStarted);
    if (legacy && deadOrDone) removeQuietly(file);
  }
}
