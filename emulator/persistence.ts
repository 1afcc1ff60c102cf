// JSON persistence of the world (not faults, counters, calls or credentials).
// Writes are debounced, atomic (write a temp file in the same directory, then
// rename over the target) and flushed synchronously on stop.

import * as fs from "node:fs";
import * as path from "node:path";
import type { PersistedWorld } from "./model/world";

const SAVE_DEBOUNCE_MS = 20;

export function loadStateFile(file: string): PersistedWorld | undefined {
  if (!fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, "utf8");
  try {
    return JSON.parse(text) as PersistedWorld;
  } catch (e) {
    throw new Error(`state file ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

function writeAtomically(file: string, content: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* ignore */
    }
    throw e;
  }
}

export class Persister {
  private timer: NodeJS.Timeout | null = null;
  private dirty = false;
  writes = 0;

  constructor(
    private readonly file: string,
    private readonly produce: () => PersistedWorld,
    private readonly log: (line: string) => void,
  ) {}

  /** Marks the world changed; it is written within SAVE_DEBOUNCE_MS. */
  schedule(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, SAVE_DEBOUNCE_MS);
    this.timer.unref();
  }

  /** Writes now if anything changed. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.dirty) return;
    this.dirty = false;
    try {
      writeAtomically(this.file, JSON.stringify(this.produce(), null, 2) + "\n");
      this.writes++;
    } catch (e) {
      this.log(`persistence: could not write ${this.file}: ${(e as Error).message}`);
    }
  }
}
