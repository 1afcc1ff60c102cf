// What a CLI run printed: its diagnostics per resource, its failure, and the
// scan for secrets over everything a stack printed or stored.
import type { RunResult, TestStack } from "../e2e/harness";
import { SECRET_KEY } from "../e2e/world";

/**
 * The "Diagnostics:" section of a CLI run, per resource name:
 *   pulumi-nodejs:dynamic/tencentcloud:SecurityGroupAttachment (name):
 *     error: ...
 */
export function diagnostics(output: string): Record<string, string> {
  const out: Record<string, string> = {};
  const start = output.lastIndexOf("\nDiagnostics:\n");
  if (start < 0) return out;
  let current: string | undefined;
  for (const line of output.slice(start + 14).split("\n")) {
    const header = /^ {2}(\S+) \((.+)\):$/.exec(line);
    if (header) {
      current = header[2];
      out[current] = out[current] ?? "";
      continue;
    }
    if (/^\S/.test(line)) break;
    if (current !== undefined && line.trim() !== "") out[current] += line.trim() + "\n";
  }
  return out;
}

/** Fails with the whole output when the run did not fail. */
export function expectFailed(r: RunResult): RunResult {
  if (r.code === 0) throw new Error(`expected the run to fail, but it succeeded:\n${r.all}`);
  return r;
}

/**
 * Every place a secret could leak to, for one stack: everything the CLI
 * printed (the provider's messages and diagnostics included), the raw state
 * files of the backend, and `pulumi stack export` (skipped with
 * `exportToo: false` where the raw files already hold the same checkpoint).
 */
export async function everythingOf(
  stack: TestStack,
  extra: string[] = [],
  exportToo = true,
): Promise<string> {
  let exported = "";
  if (exportToo) {
    try {
      exported = JSON.stringify(await stack.exportState());
    } catch (e) {
      exported = String(e);
    }
  }
  return [stack.transcript.join("\n"), stack.stateFilesText(), exported, ...extra].join("\n");
}

/** The secret key (and any other secrets given) must appear nowhere. */
export function expectNoSecret(text: string, secrets: string[] = [SECRET_KEY]) {
  for (const s of secrets) {
    expect(text.length).toBeGreaterThan(0);
    const at = text.indexOf(s);
    if (at >= 0)
      throw new Error(`secret found in output: ...${text.slice(Math.max(0, at - 200), at + 50)}...`);
  }
}
