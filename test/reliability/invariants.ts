// The invariants every reliability suite checks: the world equals the
// program, the state equals the world, and the unmanaged group OTHER_SG is
// never touched.
import type { CallRecord, RunningEmulator } from "../../emulator";
import type { TestStack } from "../e2e/harness";
import { OTHER_SG, REGION } from "../e2e/world";
import type { AttachmentSpec } from "./stacks";

export type Bindings = Record<string, string[]>;

/** What the world must look like: the seed's groups, then the program's bindings (any order). */
export function expectedBindings(seed: Bindings, attachments: AttachmentSpec[]): Bindings {
  const out: Bindings = {};
  for (const [id, sgs] of Object.entries(seed)) out[id] = [...sgs];
  for (const a of attachments) {
    for (const id of a.instanceIds as string[]) {
      out[id] ??= [];
      if (!out[id].includes(a.securityGroupId as string)) out[id].push(a.securityGroupId as string);
    }
  }
  return out;
}

/**
 * Compares bindings: per instance, the seed's groups must be first and in
 * their seed order (priority of what the program does not manage is kept);
 * the managed groups after them are compared as sets (their order depends on
 * which request landed first).
 */
export function normalise(b: Bindings, seed: Bindings): Bindings {
  const out: Bindings = {};
  for (const id of Object.keys(b).sort()) {
    const fixed = seed[id] ?? [];
    const head = b[id].slice(0, fixed.length);
    const tail = b[id].slice(fixed.length).sort();
    out[id] = [...head, ...tail];
  }
  return out;
}

export async function expectWorld(emulator: RunningEmulator, seed: Bindings, attachments: AttachmentSpec[]) {
  const world = await emulator.control.bindings(REGION);
  expect(normalise(world, seed)).toEqual(normalise(expectedBindings(seed, attachments), seed));
}

/** Bindings of the managed groups in the world: "sg|ins" pairs, sorted. */
export function managedPairs(world: Bindings, seed: Bindings): string[] {
  const out: string[] = [];
  for (const [id, sgs] of Object.entries(world)) {
    const fixed = new Set(seed[id] ?? []);
    for (const sg of sgs) if (!fixed.has(sg)) out.push(`${sg}|${id}`);
  }
  return out.sort();
}

/** Bindings the stack's state claims: "sg|ins" pairs, sorted (duplicates kept, to catch double ownership). */
export async function statePairs(stack: TestStack): Promise<string[]> {
  const out: string[] = [];
  for (const r of await stack.resources()) {
    const o = r.outputs ?? {};
    for (const id of o.instanceIds ?? []) out.push(`${o.securityGroupId}|${id}`);
  }
  return out.sort();
}

/** State and world agree: every managed binding in the world is in the state, exactly once, and the reverse. */
export async function expectStateMatchesWorld(stack: TestStack, emulator: RunningEmulator, seed: Bindings) {
  const world = await emulator.control.bindings(REGION);
  expect(await statePairs(stack)).toEqual(managedPairs(world, seed));
}

/**
 * The unmanaged group OTHER_SG: no API call ever named it, and every instance
 * still has it in first position.
 */
export async function expectOtherSgUntouched(emulator: RunningEmulator, calls?: CallRecord[]) {
  const all = calls ?? (await emulator.control.calls());
  const naming = all.filter(
    (c) =>
      (c.securityGroupIds ?? []).includes(OTHER_SG) && c.action !== "DescribeInstances" && c.action !== "",
  );
  expect(naming).toEqual([]);
  const world = await emulator.control.bindings(REGION);
  const displaced = Object.entries(world).filter(([, sgs]) => sgs[0] !== OTHER_SG);
  expect(displaced).toEqual([]);
}

export function seedBindingsOf(seed: { regions: Record<string, { instances: any[] }> }): Bindings {
  return Object.fromEntries(
    seed.regions[REGION].instances.map((i) => [i.id, [...(i.securityGroupIds ?? [])]]),
  );
}
