import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { implementation, resetForTests, stats } from "../../provider/impl/index";
import type { AttachmentOutputs } from "../../provider/types";
import { assertNoSecret, bindingCalls, create, errorOf, lastSeq, useHarness } from "./helpers";
import { ins, makeSeed, REGION, SECRET_ID, SECRET_KEY, sg, TOKEN } from "./world";

const h = useHarness();

function hasUndefined(v: unknown): boolean {
  if (v === undefined) return true;
  if (Array.isArray(v)) return v.some(hasUndefined);
  if (v && typeof v === "object") return Object.values(v).some(hasUndefined);
  return false;
}

describe("full lifecycle through the SDK against the emulator", () => {
  it("create → read → update (add+remove) → read → delete, world checked after each step", async () => {
    // check + create
    const checked = await implementation.check(
      {},
      { securityGroupId: sg(1), instanceIds: [ins(3), ins(1), ins(2), ins(1)], adoptExisting: false },
    );
    expect(checked.failures).toEqual([]);
    expect(checked.inputs).toEqual({
      securityGroupId: sg(1),
      instanceIds: [ins(1), ins(2), ins(3)],
      region: REGION,
      adoptExisting: false,
    });
    const { id, outs } = await implementation.create(checked.inputs);
    expect(id).toMatch(/^sg-00000001@ap-guangzhou\/[0-9a-f]{8}$/);
    expect(outs).toEqual({
      securityGroupId: sg(1),
      instanceIds: [ins(1), ins(2), ins(3)],
      declaredInstanceIds: [ins(1), ins(2), ins(3)],
      region: REGION,
      adoptExisting: false,
      priorities: { [ins(1)]: 1, [ins(2)]: 1, [ins(3)]: 1 },
      adoptedInstanceIds: [],
    });
    expect(hasUndefined(outs)).toBe(false);
    expect(JSON.parse(JSON.stringify(outs))).toEqual(outs);
    let world = await h.bindings();
    expect(world[ins(1)]).toEqual([sg(99), sg(1)]);
    expect(world[ins(3)]).toEqual([sg(99), sg(1)]);
    expect(world[ins(4)]).toEqual([sg(99)]);

    // read: unchanged
    const read1 = await implementation.read(id, outs);
    expect(read1).toEqual({
      id,
      props: outs,
      // Inputs that match what was observed: a second refresh then reports no change.
      inputs: {
        securityGroupId: outs.securityGroupId,
        instanceIds: outs.instanceIds,
        region: outs.region,
        adoptExisting: false,
      },
    });

    // diff: reorder → nothing; set change → update
    expect(
      await implementation.diff(id, outs, { ...checked.inputs, instanceIds: [ins(3), ins(2), ins(1)] }),
    ).toEqual({
      changes: false,
    });
    const next = await implementation.check(outs, {
      securityGroupId: sg(1),
      instanceIds: [ins(2), ins(3), ins(4), ins(5)],
    });
    expect(await implementation.diff(id, outs, next.inputs)).toEqual({ changes: true });

    // update
    const seq = await lastSeq(h.emu);
    const upd = await implementation.update(id, outs, next.inputs);
    expect(upd.outs.instanceIds).toEqual([ins(2), ins(3), ins(4), ins(5)]);
    expect(upd.outs.declaredInstanceIds).toEqual([ins(2), ins(3), ins(4), ins(5)]);
    expect(upd.outs.priorities).toEqual({ [ins(2)]: 1, [ins(3)]: 1, [ins(4)]: 1, [ins(5)]: 1 });
    world = await h.bindings();
    expect(world[ins(1)]).toEqual([sg(99)]);
    expect(world[ins(4)]).toEqual([sg(99), sg(1)]);
    expect(world[ins(5)]).toEqual([sg(99), sg(1)]);
    const calls = await bindingCalls(h.emu, seq);
    expect(calls.filter((c) => c.action === "AssociateSecurityGroups").flatMap((c) => c.instanceIds)).toEqual(
      [ins(4), ins(5)],
    );
    expect(
      calls.filter((c) => c.action === "DisassociateSecurityGroups").flatMap((c) => c.instanceIds),
    ).toEqual([ins(1)]);

    // diff: region / SG changes replace
    expect(await implementation.diff(id, upd.outs, { ...next.inputs, securityGroupId: sg(2) })).toEqual({
      changes: true,
      replaces: ["securityGroupId"],
    });

    // delete
    await implementation.delete(id, upd.outs);
    world = await h.bindings();
    for (let i = 1; i <= 10; i++) expect(world[ins(i)]).toEqual([sg(99)]);
  });

  it("keeps the other groups' order and reports priority positions", async () => {
    await h.reset(makeSeed({ extra: { [ins(1)]: [sg(7), sg(99)], [ins(2)]: [] } }));
    const r = await create(sg(1), [ins(1), ins(2)]);
    expect(r.outs.priorities).toEqual({ [ins(1)]: 2, [ins(2)]: 0 });
    // Another group is unbound from ins-1 outside: our position moves up.
    await create(sg(3), [ins(1)]).then((x) => implementation.delete(x.id, x.outs));
    expect((await h.bindings())[ins(1)]).toEqual([sg(7), sg(99), sg(1)]);
    const again = await implementation.read(r.id, r.outs);
    expect(again.props?.priorities).toEqual({ [ins(1)]: 2, [ins(2)]: 0 });
    await implementation.delete(r.id, r.outs);
    expect((await h.bindings())[ins(1)]).toEqual([sg(7), sg(99)]);
    expect((await h.bindings())[ins(2)]).toEqual([]);
  });

  it("update repairs drift of unchanged instances and skips what is already done", async () => {
    const r = await create(sg(1), [ins(1), ins(2)]);
    // Outside (another client of the cloud): ins-2 loses the group, ins-3 gets it.
    const outside = await create(sg(2), [ins(9)]); // unrelated, must stay
    const { cvm } = require("tencentcloud-sdk-nodejs-cvm");
    const client = new cvm.v20170312.Client({
      credential: { secretId: SECRET_ID, secretKey: SECRET_KEY, token: TOKEN },
      region: REGION,
      profile: { httpProfile: { endpoint: h.emu.url.replace(/^http:\/\//, ""), protocol: "http://" } },
    });
    await client.DisassociateSecurityGroups({ SecurityGroupIds: [sg(1)], InstanceIds: [ins(2)] });
    await client.AssociateSecurityGroups({ SecurityGroupIds: [sg(1)], InstanceIds: [ins(3)] });
    await h.emu.control.waitIdle();
    const seq = await lastSeq(h.emu);
    const news = { securityGroupId: sg(1), instanceIds: [ins(1), ins(2), ins(3)], region: REGION };
    // ins-3 was bound by someone else: refused, as a create would, unless adopted.
    expect(
      await errorOf(() => implementation.update(r.id, r.outs, { ...news, adoptExisting: false })),
    ).toMatch(/already bound to sg-00000001: ins-00000003\..*adoptExisting: true/s);
    const upd = await implementation.update(r.id, r.outs, { ...news, adoptExisting: true });
    expect(upd.outs.instanceIds).toEqual([ins(1), ins(2), ins(3)]);
    expect(upd.outs.adoptedInstanceIds).toEqual([ins(3)]);
    const calls = await bindingCalls(h.emu, seq);
    expect(calls.map((c) => [c.action, c.instanceIds])).toEqual([["AssociateSecurityGroups", [ins(2)]]]);
    const world = await h.bindings();
    expect(world[ins(2)]).toEqual([sg(99), sg(1)]);
    expect(world[ins(9)]).toEqual([sg(99), sg(2)]);
    expect(outside.outs.instanceIds).toEqual([ins(9)]);
  });

  it("a failed update undoes its binds (the state keeps the old outputs), and the next run converges", async () => {
    const r = await create(sg(1), [ins(1)]);
    await h.emu.control.addFault({
      kind: "operationFailure",
      action: "AssociateSecurityGroups",
      instanceIds: [ins(3)],
      count: 1,
      message: "vif quota hiccup",
    });
    const news = {
      securityGroupId: sg(1),
      instanceIds: [ins(1), ins(2), ins(3)],
      region: REGION,
      adoptExisting: false,
    };
    const msg = await errorOf(() => implementation.update(r.id, r.outs, news));
    expect(msg).toMatch(/did not complete/);
    expect(msg).toMatch(/FAILED on ins-00000003: vif quota hiccup/);
    expect(msg).toMatch(/RequestId: /);
    expect(msg).toMatch(/Binds undone: What this attempt had bound \(1 instance\(s\)\) was unbound again/);
    expect(msg).toMatch(/run pulumi up again/i);
    let world = await h.bindings();
    // Nothing the old outputs do not know about stays bound.
    expect(world[ins(2)]).toEqual([sg(99)]);
    expect(world[ins(3)]).toEqual([sg(99)]);

    // Pulumi keeps the old outputs after a failed update: run again with them.
    const seq = await lastSeq(h.emu);
    const upd = await implementation.update(r.id, r.outs, news);
    expect(upd.outs.instanceIds).toEqual([ins(1), ins(2), ins(3)]);
    const calls = await bindingCalls(h.emu, seq);
    expect(calls.map((c) => c.instanceIds)).toEqual([[ins(2), ins(3)]]);
    world = await h.bindings();
    expect(world[ins(3)]).toEqual([sg(99), sg(1)]);
  });

  it("update refuses before changing anything when an added instance is missing or full", async () => {
    await h.reset(makeSeed({ extra: { [ins(4)]: [sg(5), sg(6), sg(7), sg(8), sg(9)] } }));
    const r = await create(sg(1), [ins(1), ins(2)]);
    const seq = await lastSeq(h.emu);
    const msg = await errorOf(() =>
      implementation.update(r.id, r.outs, {
        securityGroupId: sg(1),
        instanceIds: [ins(1), ins(3), ins(4), "ins-zzzz9999"],
        region: REGION,
        adoptExisting: false,
      }),
    );
    expect(msg).toMatch(/nothing was changed/);
    expect(msg).toMatch(/not found in ap-guangzhou: ins-zzzz9999/);
    expect(msg).toMatch(
      /ins-00000004 \(holds sg-00000005, sg-00000006, sg-00000007, sg-00000008, sg-00000009\)/,
    );
    expect(await bindingCalls(h.emu, seq)).toEqual([]);
  });

  it("update keeps adopted instances listed and adopts newly added bound ones when allowed", async () => {
    await h.reset(makeSeed({ extra: { [ins(1)]: [sg(99), sg(1)], [ins(3)]: [sg(1)] } }));
    const r = await create(sg(1), [ins(1), ins(2)], { adoptExisting: true });
    expect(r.outs.adoptedInstanceIds).toEqual([ins(1)]);
    const upd = await implementation.update(r.id, r.outs, {
      securityGroupId: sg(1),
      instanceIds: [ins(1), ins(2), ins(3)],
      region: REGION,
      adoptExisting: true,
    });
    expect(upd.outs.adoptedInstanceIds).toEqual([ins(1), ins(3)]);
    expect(upd.outs.priorities).toEqual({ [ins(1)]: 1, [ins(2)]: 1, [ins(3)]: 0 });
  });

  it("uses credentials from the stack config passed to configure()", async () => {
    const saved = {
      id: process.env.TENCENTCLOUD_SECRET_ID,
      key: process.env.TENCENTCLOUD_SECRET_KEY,
      tok: process.env.TENCENTCLOUD_SECURITY_TOKEN,
    };
    delete process.env.TENCENTCLOUD_SECRET_ID;
    delete process.env.TENCENTCLOUD_SECRET_KEY;
    delete process.env.TENCENTCLOUD_SECURITY_TOKEN;
    try {
      const { Config } = require("@pulumi/pulumi/cmd/dynamic-provider/config");
      await implementation.configure({
        config: new Config(
          {
            "tencentcloud:secretId": SECRET_ID,
            "tencentcloud:secretKey": SECRET_KEY,
            "tencentcloud:securityToken": TOKEN,
            "tencentcloud:region": REGION,
          },
          "proj",
        ),
      });
      const r = await create(sg(4), [ins(6)]);
      expect((await h.bindings())[ins(6)]).toEqual([sg(99), sg(4)]);
      const calls = await bindingCalls(h.emu);
      expect(calls.every((c) => c.secretId === SECRET_ID)).toBe(true);
      await implementation.delete(r.id, r.outs);
    } finally {
      process.env.TENCENTCLOUD_SECRET_ID = saved.id;
      process.env.TENCENTCLOUD_SECRET_KEY = saved.key;
      process.env.TENCENTCLOUD_SECURITY_TOKEN = saved.tok;
    }
  });

  it("never sends requests for a local endpoint through http_proxy", async () => {
    process.env.http_proxy = "http://127.0.0.1:9";
    process.env.HTTP_PROXY = "http://127.0.0.1:9";
    try {
      resetForTests(); // a fresh SDK client, built while the proxy variables are set
      const r = await create(sg(3), [ins(8)]);
      expect((await h.bindings())[ins(8)]).toEqual([sg(99), sg(3)]);
      await implementation.delete(r.id, r.outs);
    } finally {
      delete process.env.http_proxy;
      delete process.env.HTTP_PROXY;
    }
  });

  it("counts requests in stats() and writes a JSON line per create/update/delete to SGATTACH_STATS_FILE", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-"));
    const file = path.join(dir, "stats.jsonl");
    process.env.SGATTACH_STATS_FILE = file;
    // One throttled bind and one busy unbind, each re-sent once: the counters have something to count.
    await h.emu.control.addFault({
      kind: "error",
      action: "AssociateSecurityGroups",
      code: "RequestLimitExceeded",
      count: 1,
    });
    await h.emu.control.addFault({
      kind: "error",
      action: "DisassociateSecurityGroups",
      code: "OperationDenied.InstanceOperationInProgress",
      count: 1,
    });
    try {
      const r = await create(sg(2), [ins(7), ins(8)]);
      const u = await implementation.update(r.id, r.outs, { ...r.outs, instanceIds: [ins(7)] });
      await implementation.delete(r.id, u.outs as AttachmentOutputs);
      await errorOf(() => create(sg(2), ["ins-zzzz9999"]));
      const lines = fs
        .readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => l.event)).toEqual(["create.ok", "update.ok", "delete.ok", "create.error"]);
      const last = lines[3].stats;
      expect(last.requests.AssociateSecurityGroups).toBeGreaterThanOrEqual(1);
      expect(last.requests.DisassociateSecurityGroups).toBeGreaterThanOrEqual(2);
      expect(last.requests.DescribeInstances).toBeGreaterThanOrEqual(4);
      expect(last.calls["create.error"]).toBe(1);
      expect(last.throttled).toBe(1);
      expect(last.busy).toBe(1);
      expect(last.retries).toBe(3); // per instance re-sent: the bind's two and the unbind's one
      expect(lines[0].stats).toMatchObject({ throttled: 1, busy: 0 });
      assertNoSecret(fs.readFileSync(file, "utf8"));
      const s = stats();
      expect(s.requests.AssociateSecurityGroups).toBe(last.requests.AssociateSecurityGroups);
      expect(s.pid).toBe(process.pid);
    } finally {
      delete process.env.SGATTACH_STATS_FILE;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
