// The benchmark's scenarios: the emulator world (seed) each one starts from,
// the stack `spec` the bench fixture program turns into resources, and the
// facts the floor computation needs. Pure: no I/O.
"use strict";

const REGION = "ap-guangzhou";
const CREDENTIAL = {
  secretId: "bench-secret-id",
  secretKey: "bench-secret-key-0000000000000000",
};
/** Every instance starts with this group (instances always hold at least one); never managed. */
const BASE_SG = "sg-base0000";

/** `<prefix>-` + exactly 8 lowercase letters/digits, deterministic per number. */
function makeId(prefix, tag, n) {
  const body = `${tag}${n.toString(36)}`;
  if (body.length > 8) throw new Error(`id body too long: ${body}`);
  return `${prefix}-${tag}${n.toString(36).padStart(8 - tag.length, "0")}`;
}

/**
 * A scenario: `attachments` are {name, securityGroupId, instanceIds}; the
 * instances and groups they mention make up the seed.
 */
function buildScenario(name, letter, description, attachments) {
  const instances = new Set();
  const groups = new Set();
  const opsPerInstance = new Map();
  for (const a of attachments) {
    groups.add(a.securityGroupId);
    for (const id of a.instanceIds) {
      instances.add(id);
      opsPerInstance.set(id, (opsPerInstance.get(id) ?? 0) + 1);
    }
  }
  const seed = {
    credentials: [CREDENTIAL],
    regions: {
      [REGION]: {
        securityGroups: [BASE_SG, ...groups].map((id) => ({ id })),
        instances: [...instances].map((id) => ({ id, state: "RUNNING", securityGroupIds: [BASE_SG] })),
      },
    },
  };
  return {
    name,
    letter,
    description,
    region: REGION,
    seed,
    attachments,
    resources: attachments.length,
    instances: instances.size,
    securityGroups: groups.size,
    /** Largest number of attachments that touch one instance (operations it must take in turn). */
    maxOpsPerInstance: Math.max(0, ...opsPerInstance.values()),
    /** (instance, group) pairs the scenario binds. */
    pairs: attachments.flatMap((a) => a.instanceIds.map((i) => [i, a.securityGroupId])),
  };
}

/** (a) one SG bound to N instances as N one-instance attachments. */
function scenarioA(n) {
  const sg = makeId("sg", "a", 1);
  const attachments = [];
  for (let i = 0; i < n; i++)
    attachments.push({ name: `a-${i}`, securityGroupId: sg, instanceIds: [makeId("ins", "a", i)] });
  return buildScenario(
    `a-${n}x1`,
    "a",
    `one SG bound to ${n} instances as ${n} one-instance attachments`,
    attachments,
  );
}

/** (b) G SGs, each bound to its own K instances. */
function scenarioB(groups, perGroup) {
  const attachments = [];
  for (let g = 0; g < groups; g++) {
    const ids = [];
    for (let k = 0; k < perGroup; k++) ids.push(makeId("ins", "b", g * perGroup + k));
    attachments.push({ name: `b-${g}`, securityGroupId: makeId("sg", "b", g), instanceIds: ids });
  }
  return buildScenario(
    `b-${groups}x${perGroup}`,
    "b",
    `${groups} SGs, each bound to its own ${perGroup} instances`,
    attachments,
  );
}

/** (c) one attachment of N instances. */
function scenarioC(n) {
  const ids = [];
  for (let i = 0; i < n; i++) ids.push(makeId("ins", "c", i));
  return buildScenario(`c-${n}`, "c", `one attachment of ${n} instances`, [
    { name: "c-0", securityGroupId: makeId("sg", "c", 1), instanceIds: ids },
  ]);
}

/** (d) N instances, each receiving S SGs from S attachments at once. */
function scenarioD(n, groups) {
  const ids = [];
  for (let i = 0; i < n; i++) ids.push(makeId("ins", "d", i));
  const attachments = [];
  for (let g = 0; g < groups; g++)
    attachments.push({ name: `d-${g}`, securityGroupId: makeId("sg", "d", g), instanceIds: ids });
  return buildScenario(
    `d-${n}x${groups}`,
    "d",
    `${n} instances, each receiving ${groups} SGs from ${groups} attachments at once`,
    attachments,
  );
}

/**
 * (m) one SecurityGroupMembership of N instances, converging from a world
 * where F other instances hold the group (bindings it did not make, which it
 * removes: maxForeignRemovals = F). `pairs` must hold the group after `up`,
 * `removedPairs` must not.
 */
function scenarioM(n, foreign) {
  const sg = makeId("sg", "m", 1);
  const members = [];
  for (let i = 0; i < n; i++) members.push(makeId("ins", "m", i));
  const others = [];
  for (let i = 0; i < foreign; i++) others.push(makeId("ins", "f", i));
  const membership = { name: "m-0", securityGroupId: sg, instanceIds: members, maxForeignRemovals: foreign };
  const scenario = buildScenario(
    `m-${n}-f${foreign}`,
    "m",
    `one membership of ${n} instances, ${foreign} other instances holding the group before`,
    [membership],
  );
  scenario.seed.regions[REGION].instances.push(
    ...others.map((id) => ({ id, state: "RUNNING", securityGroupIds: [BASE_SG, sg] })),
  );
  return { ...scenario, membership, removedPairs: others.map((i) => [i, sg]) };
}

/**
 * The scenario list for a mode. `large` adds (a) and (c) at 1,000 instances
 * (growth 200 → 1,000 for (a), 300 → 1,000 for (c)).
 */
function scenarioList({ quick = false, large = false } = {}) {
  const list = quick
    ? [scenarioA(20), scenarioB(5, 4), scenarioC(120), scenarioD(8, 4), scenarioM(100, 10)]
    : [scenarioA(200), scenarioB(50, 4), scenarioC(300), scenarioD(40, 4), scenarioM(1000, 100)];
  if (large) list.push(quick ? scenarioA(100) : scenarioA(1000), quick ? scenarioC(600) : scenarioC(1000));
  return list;
}

/** The stack `spec` for the bench fixture program. */
function specFor(scenario, provider) {
  if (provider === "trivial") return { trivial: { count: scenario.resources, value: "bench" } };
  if (scenario.membership) return { memberships: [{ ...scenario.membership, region: scenario.region }] };
  return {
    naive: provider === "naive",
    plugin: provider === "plugin",
    attachments: scenario.attachments.map((a) => ({ ...a, region: scenario.region })),
  };
}

/** "a-200x1" → 200 instances; "c-1000" → 1000. */
function scenarioSize(name) {
  const m = /^[a-dm]-(\d+)/.exec(name);
  return m ? parseInt(m[1], 10) : NaN;
}

module.exports = {
  scenarioSize,
  REGION,
  CREDENTIAL,
  BASE_SG,
  makeId,
  buildScenario,
  scenarioA,
  scenarioB,
  scenarioC,
  scenarioD,
  scenarioM,
  scenarioList,
  specFor,
};
