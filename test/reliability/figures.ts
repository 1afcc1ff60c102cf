// The figures file: each suite appends its measured figures, one JSON line per
// section (`npm run reliability:report` prints them).
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../e2e/harness";

/** Figures of every run, one JSON line per section (ignored by git). */
export const RESULTS_FILE = path.join(REPO_ROOT, ".pulumi-local", "reliability", "runs.jsonl");

/** Appends one section's figures to RESULTS_FILE (read by test/reliability/report.js). */
export function recordResult(section: string, data: unknown): void {
  fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  fs.appendFileSync(
    RESULTS_FILE,
    JSON.stringify({ section, recordedAt: new Date().toISOString(), data }) + "\n",
  );
}

/** Wall-clock timing of an async step. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - t0 };
}
