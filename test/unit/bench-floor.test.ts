// The benchmark's pure parts: scenarios, floor, call tallies, error parsing,
// record shape, goals, report and arguments (bench/*.js but run.js).
const args = require("../../bench/args.js");
const floor = require("../../bench/floor.js");
const goals = require("../../bench/goals.js");
const records = require("../../bench/records.js");
const report = require("../../bench/report.js");
const scenarios = require("../../bench/scenarios.js");
const tally = require("../../bench/tally.js");

const ID = /^(ins|sg)-[a-z0-9]{8}$/;

describe("bench scenarios", () => {
  it("builds the five full-size scenarios with valid ids", () => {
    const list = scenarios.scenarioList();
    expect(list.map((s: any) => s.name)).toEqual(["a-200x1", "b-50x4", "c-300", "d-40x4", "m-1000-f100"]);
    for (const s of list) {
      const region = s.seed.regions[s.region];
      for (const i of region.instances) expect(i.id).toMatch(ID);
      for (const g of region.securityGroups) expect(g.id).toMatch(ID);
      // base group + managed groups never exceed 5 per instance
      expect(1 + s.maxOpsPerInstance).toBeLessThanOrEqual(5);
    }
    const [a, b, c, d, m] = list;
    expect([a.resources, a.instances, a.securityGroups, a.maxOpsPerInstance]).toEqual([200, 200, 1, 1]);
    expect([b.resources, b.instances, b.securityGroups, b.maxOpsPerInstance]).toEqual([50, 200, 50, 1]);
    expect([c.resources, c.instances, c.securityGroups, c.maxOpsPerInstance]).toEqual([1, 300, 1, 1]);
    expect([d.resources, d.instances, d.securityGroups, d.maxOpsPerInstance]).toEqual([4, 40, 4, 4]);
    expect(new Set(a.seed.regions[a.region].instances.map((i: any) => i.id)).size).toBe(200);
    // (m): 1,000 members to bind; 100 other instances hold the group before, to be removed.
    expect([m.resources, m.instances, m.pairs.length, m.removedPairs.length]).toEqual([1, 1000, 1000, 100]);
    const seeded = m.seed.regions[m.region].instances;
    expect(seeded).toHaveLength(1100);
    expect(seeded.filter((i: any) => i.securityGroupIds.includes(m.membership.securityGroupId))).toHaveLength(
      100,
    );
    expect(scenarios.specFor(m, "ours")).toEqual({
      memberships: [{ ...m.membership, region: m.region }],
    });
  });

  it("adds 1,000-instance scenarios in large mode and small ones in quick mode", () => {
    expect(scenarios.scenarioList({ large: true }).map((s: any) => s.name)).toContain("a-1000x1");
    expect(scenarios.scenarioList({ large: true }).map((s: any) => s.name)).toContain("c-1000");
    expect(scenarios.scenarioList({ quick: true }).every((s: any) => s.instances <= 120)).toBe(true);
  });

  it("makes the fixture spec for each provider", () => {
    const s = scenarios.scenarioC(3);
    expect(scenarios.specFor(s, "trivial")).toEqual({ trivial: { count: 1, value: "bench" } });
    expect(scenarios.specFor(s, "naive").naive).toBe(true);
    const ours = scenarios.specFor(s, "ours");
    expect(ours.naive).toBe(false);
    expect(ours.attachments[0]).toMatchObject({
      securityGroupId: s.attachments[0].securityGroupId,
      region: s.region,
    });
  });
});

describe("bench floor", () => {
  it("counts the minimum requests per security group in batches of 100", () => {
    expect(floor.minimumRequests(scenarios.scenarioA(200).attachments)).toBe(2);
    expect(floor.minimumRequests(scenarios.scenarioB(50, 4).attachments)).toBe(50);
    expect(floor.minimumRequests(scenarios.scenarioC(300).attachments)).toBe(3);
    expect(floor.minimumRequests(scenarios.scenarioD(40, 4).attachments)).toBe(4);
    expect(floor.minimumRequests(scenarios.scenarioC(1000).attachments)).toBe(10);
  });

  it("is max(requests ÷ 10/s, 2 s × rounds)", () => {
    const f = (s: any, parallel: number) =>
      floor.floorSeconds({ attachments: s.attachments, parallel, maxOpsPerInstance: s.maxOpsPerInstance });
    expect(floor.defaultParallelism(2)).toBe(8);
    // (a) 200 resources: 25 rounds at 8, 4 rounds at 64
    expect(f(scenarios.scenarioA(200), 8)).toBe(50);
    expect(f(scenarios.scenarioA(200), 64)).toBe(8);
    // (b) 50 groups: 7 rounds at 8; at 64 one round (2 s) but 50 requests at 10/s = 5 s
    expect(f(scenarios.scenarioB(50, 4), 8)).toBe(14);
    expect(f(scenarios.scenarioB(50, 4), 64)).toBe(5);
    // (c) one resource, 3 requests: one round
    expect(f(scenarios.scenarioC(300), 64)).toBe(2);
    // (d) 4 operations per instance, in turn
    expect(f(scenarios.scenarioD(40, 4), 8)).toBe(8);
    expect(f(scenarios.scenarioD(40, 4), 64)).toBe(8);
    expect(floor.rounds({ resources: 0, parallel: 8 })).toBe(0);
  });
});

describe("bench tallies and records", () => {
  it("tallies emulator calls into requests, throttled and busy", () => {
    const t = tally.tallyCalls([
      { seq: 1, action: "AssociateSecurityGroups" },
      { seq: 2, action: "AssociateSecurityGroups", errorCode: "RequestLimitExceeded" },
      { seq: 3, action: "AssociateSecurityGroups", errorCode: "RequestLimitExceeded.UinLimitExceeded" },
      {
        seq: 4,
        action: "DisassociateSecurityGroups",
        errorCode: "OperationDenied.InstanceOperationInProgress",
      },
      { seq: 5, action: "DescribeInstances", errorCode: "MutexOperation.TaskRunning" },
      { seq: 6, action: "DescribeInstances", errorCode: "InvalidParameter" },
    ]);
    expect(t).toMatchObject({
      requests: { AssociateSecurityGroups: 3, DisassociateSecurityGroups: 1, DescribeInstances: 2 },
      throttled: 2,
      busy: 2,
    });
    expect(t.errors.AssociateSecurityGroups).toEqual({
      RequestLimitExceeded: 1,
      "RequestLimitExceeded.UinLimitExceeded": 1,
    });
    expect(t.batches.AssociateSecurityGroups).toEqual({ requests: 3, instances: 0, mean: 0, max: 0 });
  });

  it("counts user-visible errors without the engine's summary line", () => {
    const out = [
      "Diagnostics:",
      "  pulumi-nodejs:dynamic:Resource (a-1):",
      "    error: RequestLimitExceeded: too many requests",
      "  pulumi-nodejs:dynamic:Resource (a-2):",
      "    error: RequestLimitExceeded: too many requests",
      "  pulumi:pulumi:Stack (p-s):",
      "    error: update failed",
    ].join("\n");
    const e = tally.userErrorsOf(out);
    expect(e.count).toBe(2);
    expect(e.throttleOrBusy).toBe(2);
    expect(
      tally.userErrorsOf("    error: instances [ins-d0000000] have an operation in progress").throttleOrBusy,
    ).toBe(1);
    expect(e.samples).toEqual(["error: RequestLimitExceeded: too many requests"]);
    expect(tally.throttleOrBusyVisible(out)).toBe(true);
    expect(tally.userErrorsOf("Resources:\n    + 3 created\n").count).toBe(0);
  });

  const base = {
    scenario: "a-200x1",
    parallel: 64,
    provider: "ours",
    operation: "up",
    wallSeconds: 10.123,
    requests: { AssociateSecurityGroups: 4, DescribeInstances: 12 },
    throttled: 0,
    busy: 0,
    retries: 0,
    userErrors: 0,
    peakRssMb: 80.456,
    providerCpuSeconds: 4.444,
    floorSeconds: 8,
    exitCode: 0,
    timedOut: false,
    bindingsExpected: 200,
    bindingsOk: 200,
  };

  it("builds records of the documented shape", () => {
    const r = records.makeRecord(base);
    expect(r).toMatchObject({
      kind: "run",
      scenario: "a-200x1",
      parallel: 64,
      provider: "ours",
      operation: "up",
      wallSeconds: 10.12,
      requests: { AssociateSecurityGroups: 4, DescribeInstances: 12 },
      throttled: 0,
      busy: 0,
      retries: 0,
      userErrors: 0,
      peakRssMb: 80.46,
      providerCpuSeconds: 4.44,
      floorSeconds: 8,
    });
    expect(records.validateRecord(r)).toEqual([]);
    expect(
      records.validateRecord({ ...r, provider: "other", scenario: "x-1", requests: { A: 1.5 } }),
    ).toEqual(["scenario", "provider", "requests"]);
    const m = records.makeMemoryRecord({
      scenario: "a-200x1",
      parallel: 8,
      operation: "up",
      resources: 200,
      wallSeconds: 3,
      peakRssMb: 60,
    });
    expect(m).toMatchObject({ kind: "memory-baseline", provider: "trivial", resources: 200 });
    expect(records.validateRecord(m)).toEqual([]);
  });

  it("evaluates the goals from records", () => {
    const recs = [
      records.makeRecord(base),
      records.makeRecord({
        ...base,
        operation: "destroy",
        wallSeconds: 20,
        requests: { DisassociateSecurityGroups: 12 },
      }),
      records.makeRecord({ ...base, provider: "baseline", wallSeconds: 5, floorSeconds: 8 }),
      records.makeRecord({ ...base, provider: "baseline", operation: "destroy", wallSeconds: 1 }),
      records.makeRecord({
        ...base,
        provider: "naive",
        userErrors: 3,
        exitCode: 255,
        requests: { AssociateSecurityGroups: 200 },
      }),
    ];
    const judged = goals.evaluateGoals(recs);
    const by = (prefix: string) => judged.find((g: any) => g.goal.startsWith(prefix));
    expect(by("no throttling").status).toBe("pass");
    expect(by("no throttling").details.some((d: string) => d.startsWith("info: naive"))).toBe(true);
    expect(by("(a) at --parallel 64").status).toBe("fail"); // 12 Disassociate
    expect(by("wall").status).toBe("fail"); // destroy: 20 > 1 + 12
    expect(by("wall").details[0]).toMatch(/^ok a-200x1 p64 up: 10.12 s ≤ 5 \+ 1.5 × 8 = 17 s$/);
    expect(by("provider peak RSS").status).toBe("pass");
    expect(by("linear").status).toBe("n/a");

    const big = records.makeRecord({
      ...base,
      scenario: "a-1000x1",
      wallSeconds: 60,
      peakRssMb: 90,
      providerCpuSeconds: 30,
    });
    const withBig = goals.evaluateGoals([...recs, big]);
    // The "(a) ≤ 10" goal covers the 200-instance (a); the 1,000 one is shown beside it.
    expect(withBig.find((g: any) => g.goal.startsWith("(a) at")).details).toContain(
      "info: ours a-1000x1 AssociateSecurityGroups: 4",
    );
    const growth = withBig.find((g: any) => g.goal.startsWith("linear"));
    expect(growth.status).toBe("fail"); // wall ×5.93 > ×5
    expect(growth.details).toContain("FAIL a-200x1→a-1000x1 p64 up provider CPU: ×6.76 (size ×5)");
    // With the trivial host measured at both sizes, ours is judged on what it adds to the engine's cost.
    const triv = (scenario: string, resources: number, wallSeconds: number) =>
      records.makeMemoryRecord({
        scenario,
        parallel: 64,
        operation: "up",
        resources,
        wallSeconds,
        peakRssMb: 60,
      });
    const bigFaster = { ...big, providerCpuSeconds: 20 };
    const withHost = goals
      .evaluateGoals([...recs, bigFaster, triv("a-200x1", 200, 5), triv("a-1000x1", 1000, 40)])
      .find((g: any) => g.goal.startsWith("linear"));
    expect(withHost.details).toContain(
      "ok a-200x1→a-1000x1 p64 up wall beyond the trivial host: ×3.91 (size ×5)",
    );
    expect(withHost.details).toContain("info: a-200x1→a-1000x1 p64 up wall: ×5.93 (the trivial host's: ×8)");
    expect(withHost.details).toContain("ok a-200x1→a-1000x1 p64 up provider CPU: ×4.5 (size ×5)");
    expect(withHost.status).toBe("pass");
    // With the trivial host's CPU at both sizes, ours is judged beyond it.
    const cpuHost = (scenario: string, resources: number, wallSeconds: number, cpu: number) => ({
      ...triv(scenario, resources, wallSeconds),
      providerCpuSeconds: cpu,
    });
    const beyond = goals
      .evaluateGoals([...recs, big, cpuHost("a-200x1", 200, 5, 2), cpuHost("a-1000x1", 1000, 40, 20)])
      .find((g: any) => g.goal.startsWith("linear"));
    expect(beyond.details).toContain(
      "ok a-200x1→a-1000x1 p64 up provider CPU beyond the trivial host: ×4.1 (size ×5)",
    );
    // Ours within the trivial host's CPU at 200: nothing to grow from, said rather than skipped.
    const noisy = goals
      .evaluateGoals([...recs, big, cpuHost("a-200x1", 200, 5, 10), cpuHost("a-1000x1", 1000, 40, 20)])
      .find((g: any) => g.goal.startsWith("linear"));
    expect(noisy.details).toContain(
      "info: a-200x1→a-1000x1 p64 up provider CPU beyond the trivial host: not judged (-5.56 at the smaller size, 10 at the larger)",
    );
    const table = report.formatTable(recs, { defaultParallel: 8 });
    expect(table.split("\n")).toHaveLength(2 + recs.length);
  });
});

describe("bench comparison table (the README's)", () => {
  const run = (provider: string, wallSeconds: number, requests: Record<string, number>, extra = {}) => ({
    kind: "run",
    scenario: "c-300",
    parallel: 64,
    provider,
    operation: "up",
    wallSeconds,
    requests,
    throttled: 0,
    busy: 0,
    retries: 0,
    userErrors: 0,
    peakRssMb: 150.04,
    providerCpuSeconds: 1.83,
    floorSeconds: 2,
    timedOut: false,
    ...extra,
  });
  const trivial = {
    kind: "memory-baseline",
    scenario: "c-300",
    parallel: 64,
    provider: "trivial",
    operation: "up",
    wallSeconds: 5.66,
    peakRssMb: 127.4,
    providerCpuSeconds: 1.3,
  };

  it("puts ours beside the baseline, the trivial host and naive, and judges the wall-time goal", () => {
    const recs = [
      run("ours", 8.72, { AssociateSecurityGroups: 3, DescribeInstances: 29 }, { throttled: 1, retries: 1 }),
      run("baseline", 5.6, { AssociateSecurityGroups: 3 }),
      run("naive", 4, { AssociateSecurityGroups: 1 }, { userErrors: 1 }),
      trivial,
    ];
    const lines = report.formatComparison(recs).split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe(
      "| c-300 | 64 | up | 8.7 | 5.6 | 5.7 | 2 | NO (8.6) | 3 | 29 | 1 | 1 | 1 (1) | 150 | 127.4 | 1.8 | 1.3 |",
    );
    recs[0] = run("ours", 8.6, { AssociateSecurityGroups: 3 });
    expect(report.formatComparison(recs).split("\n")[2]).toContain("| 2 | yes | 3 | 0 |");
  });
});

describe("bench arguments", () => {
  it("parses the options", () => {
    expect(args.parseArgs(["--quick", "--only", "a,c", "--parallel=64"])).toMatchObject({
      quick: true,
      only: ["a", "c"],
      parallel: ["64"],
      record: false,
    });
    // Only --record replaces the documented run (bench/results.json).
    expect(args.parseArgs(["--quick", "--record"])).toMatchObject({ quick: true, record: true });
    expect(() => args.parseArgs(["--nope"])).toThrow(/unknown option/);
    expect(() => args.parseArgs(["--providers", "x"])).toThrow(/unknown provider/);
    expect(args.selected("a-200x1", ["a"])).toBe(true);
    expect(args.selected("c-300", ["a"])).toBe(false);
    expect(args.selected("a-1000x1", ["a-1000x1"])).toBe(true);
    expect(args.selected("b-50x4", null)).toBe(true);
  });
});

describe("bench process watch", () => {
  it("reads a live process's CPU seconds from /proc, and null for a gone one", () => {
    const { cpuSeconds } = require("../../bench/proc");
    // Burn a little CPU: 150 ms of it by Node's own account.
    const start = process.cpuUsage();
    while (process.cpuUsage(start).user < 150_000) Math.sqrt(Math.random());
    const mine = cpuSeconds(process.pid);
    const used = process.cpuUsage();
    expect(mine).toBeGreaterThan(0);
    // Same clock as Node's own account, to the tick (10 ms) and a little more.
    expect(Math.abs(mine - (used.user + used.system) / 1e6)).toBeLessThan(0.5);
    expect(cpuSeconds(2 ** 22 + 12345)).toBeNull();
  });
});
