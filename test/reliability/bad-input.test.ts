// Bad input through the real CLI: every mistake a user can make in a resource's
// inputs or in the provider's settings gives an error that names the field or
// the cause and says what to do, and leaves the cloud as it was.
//
// Sharing runs (each CLI run costs seconds): the CLI stops a deployment at the
// first resource whose `check` fails and reports only that resource (verified
// by hand with three bad resources in one preview, with and without
// --continue-on-error), but it reports every failure of that resource. So
// check-time mistakes in different fields share one resource, and runs on
// different stacks go several at a time. Create-time mistakes share one
// `up --continue-on-error`, which reports every failed create.
import * as net from "net";
import * as path from "path";
import type { RunningEmulator, Seed } from "../../emulator";
import type { RunResult, TestStack } from "../e2e/harness";
import {
  ins,
  OTHER_SG,
  providerEnv,
  REGION,
  SECRET_ID,
  SECRET_KEY,
  seedWorld,
  stackConfig,
  stackSecrets,
  startWorld,
} from "../e2e/world";
import { initStack, newStack, stackOn, type AttachmentSpec } from "./stacks";
import { pool } from "./processes";
import {
  expectOtherSgUntouched,
  expectStateMatchesWorld,
  seedBindingsOf,
  statePairs,
  type Bindings,
} from "./invariants";
import { diagnostics, everythingOf, expectNoSecret } from "./output";

jest.setTimeout(900_000);

const A = "sg-aaaa0001";
const B = "sg-bbbb0002";
const C = "sg-cccc0003";
const D = "sg-dddd0004";
const E = "sg-eeee0005";
const F = "sg-ffff0006";
/** A wrong key, as distinctive as the real one: it must not leak either. */
const WRONG_KEY = "e2e-WRONG-KEY-must-not-leak-5d1e0b";
const UNKNOWN_SECRET_ID = "AKIDUNKNOWNSECRETID0000000000000000";
const PARALLEL = 4;

function seed(): Seed {
  const s = seedWorld(8, [A, B, C, D, E, F]);
  const list = s.regions[REGION].instances;
  list[4].securityGroupIds = [OTHER_SG, B, C, D, E]; // ins5: full (5 groups)
  list[5].securityGroupIds = [OTHER_SG, A]; // ins6: already holds A
  list[6].state = "PENDING"; // ins7: being created
  return s;
}

interface Case {
  name: string;
  /** What is wrong. */
  about: string;
  attachments: AttachmentSpec[];
  /** Stack config (plain) and secrets; default: region, secretId, secretKey. */
  config?: Record<string, string>;
  secrets?: Record<string, string>;
  /** Extra environment for the run. */
  env?: (emulator: RunningEmulator) => Promise<Record<string, string>> | Record<string, string>;
  command: "preview" | "up";
  /** The error (the resource's diagnostics) must match every one of these: the field or cause, and the fix. */
  expect: RegExp[];
}

const one = (name: string, a: Partial<AttachmentSpec>): AttachmentSpec[] => [
  { name, securityGroupId: A, instanceIds: [ins(1)], ...a },
];

/**
 * Check-time mistakes in the resource's inputs (found without any API call).
 * The CLI stops at the first resource whose check fails, but reports every
 * failure of that resource; so mistakes in different fields share a resource
 * (and a run), one resource per run.
 */
interface CheckCase {
  about: string;
  /** The property Pulumi names in "property <p> value ... has a problem". */
  property: string;
  expect: RegExp[];
}
const CHECK_RUNS: { name: string; attachment: Partial<AttachmentSpec>; cases: CheckCase[] }[] = [
  {
    name: "badShapes",
    attachment: {
      securityGroupId: "sg-BAD!",
      instanceIds: [ins(1), "i-123", [ins(2)]],
      region: "Guangzhou",
      adoptExisting: "yes",
    },
    cases: [
      {
        about: "malformed security group id",
        property: "securityGroupId",
        expect: [
          /"sg-BAD!"/,
          /expected "sg-" followed by 8 lowercase letters or digits, e\.g\. "sg-abcd1234"/,
        ],
      },
      {
        about: "malformed instance id among good ones",
        property: "instanceIds\\[1\\]",
        expect: [/"i-123"/, /expected "ins-" followed by 8 lowercase letters or digits/],
      },
      {
        about: "nested array inside the instance list",
        property: "instanceIds\\[2\\]",
        expect: [/instanceIds\[2\] must be a string like "ins-abcd1234", got a list/],
      },
      {
        about: "malformed region",
        property: "region",
        expect: [
          /region "Guangzhou" does not look like a Tencent Cloud region/,
          /pulumi config set tencentcloud:region/,
        ],
      },
      {
        about: "adoptExisting of the wrong type",
        property: "adoptExisting",
        expect: [/adoptExisting must be true or false, got "yes"/],
      },
    ],
  },
  {
    name: "missingValues",
    attachment: { securityGroupId: null, instanceIds: [] },
    cases: [
      {
        about: "security group id missing (null)",
        property: "securityGroupId",
        expect: [/securityGroupId is required/, /"sg-abcd1234"/],
      },
      {
        about: "empty instance list",
        property: "instanceIds",
        expect: [/instanceIds must not be empty/, /delete the resource instead/],
      },
    ],
  },
  {
    name: "wrongTypes",
    attachment: { securityGroupId: 12345, instanceIds: ins(1) },
    cases: [
      {
        about: "security group id of the wrong type (number)",
        property: "securityGroupId",
        expect: [/securityGroupId must be a string like "sg-abcd1234", got a number/],
      },
      {
        about: "instance ids as a string instead of a list",
        property: "instanceIds",
        expect: [/instanceIds must be a list of instance ids like \["ins-abcd1234"\], got a string/],
      },
    ],
  },
];

/** Mistakes in the provider's settings (stack config / environment), one stack each. */
const SETTINGS_CASES: Case[] = [
  {
    name: "noRegion",
    about: "no region anywhere (input, config, env)",
    attachments: one("noRegion", {}),
    config: { "tencentcloud:secretId": SECRET_ID },
    command: "preview",
    expect: [/region is not set/, /pulumi config set tencentcloud:region/, /TENCENTCLOUD_REGION/],
  },
  {
    name: "noCredentials",
    about: "missing credentials",
    attachments: one("noCredentials", {}),
    config: { "tencentcloud:region": REGION },
    secrets: {},
    command: "up",
    expect: [/No Tencent Cloud credentials found/, /tencentcloud:secretKey/, /TENCENTCLOUD_SECRET_KEY/],
  },
  {
    name: "halfCredentials",
    about: "secretId without secretKey",
    attachments: one("halfCredentials", {}),
    secrets: {},
    command: "up",
    expect: [/Incomplete credentials/, /missing tencentcloud:secretKey/],
  },
  {
    name: "wrongKey",
    about: "wrong secret key",
    attachments: one("wrongKey", {}),
    secrets: { "tencentcloud:secretKey": WRONG_KEY },
    command: "up",
    expect: [/AuthFailure\.SignatureFailure/, /Check the credentials/, /tencentcloud:secretId\/secretKey/],
  },
  {
    name: "unknownSecretId",
    about: "unknown secret id",
    attachments: one("unknownSecretId", {}),
    config: { "tencentcloud:region": REGION, "tencentcloud:secretId": UNKNOWN_SECRET_ID },
    command: "up",
    expect: [/AuthFailure\.SecretIdNotFound/, new RegExp(UNKNOWN_SECRET_ID), /Check the credentials/],
  },
  {
    name: "unreachableEndpoint",
    about: "endpoint unreachable (closed loopback port)",
    attachments: one("unreachableEndpoint", {}),
    env: async () => ({ TENCENTCLOUD_CVM_ENDPOINT: `http://127.0.0.1:${await closedPort()}` }),
    command: "up",
    expect: [/ClientError\.Network/, /ECONNREFUSED|refused/i, /check the endpoint and network/],
  },
  {
    name: "malformedEndpoint",
    about: "endpoint that is not a URL",
    attachments: one("malformedEndpoint", {}),
    env: () => ({ TENCENTCLOUD_CVM_ENDPOINT: "cvm.internal:8080" }),
    command: "preview",
    expect: [
      /env TENCENTCLOUD_CVM_ENDPOINT must (be a full URL|use http:\/\/ or https:\/\/)/,
      /"cvm\.internal:8080"/,
    ],
  },
  {
    name: "clockSkew",
    about: "local clock an hour ahead (the signature expires)",
    attachments: one("clockSkew", {}),
    env: () => ({
      NODE_OPTIONS: `--require ${path.join(__dirname, "clock-skew.js")}`,
      SGREL_CLOCK_SKEW_S: "3600",
    }),
    command: "up",
    expect: [/AuthFailure\.SignatureExpire/, /clock/i, /fix the system time/],
  },
  {
    name: "badTuning",
    about: "malformed tuning setting",
    attachments: one("badTuning", {}),
    config: { ...stackConfig, "tencentcloud-sg-attachment:associateRps": "fast" },
    command: "preview",
    expect: [/tencentcloud-sg-attachment:associateRps must be a number/, /"fast"/],
  },
];

/** Mistakes only the API can find: one `up --continue-on-error`, one resource each. */
const CREATE_CASES: { name: string; about: string; attachment: AttachmentSpec; expect: RegExp[] }[] = [
  {
    name: "unknownSg",
    about: "security group that does not exist",
    attachment: { name: "unknownSg", securityGroupId: "sg-zzzz9999", instanceIds: [ins(1)] },
    expect: [
      /sg-zzzz9999/,
      /InvalidSecurityGroupId\.NotFound|not found/,
      /Check securityGroupId and the region/,
    ],
  },
  {
    name: "unknownInstance",
    about: "instance that does not exist, next to one that does",
    attachment: { name: "unknownInstance", securityGroupId: A, instanceIds: [ins(1), "ins-zzzz9999"] },
    expect: [/instances not found/, /ins-zzzz9999/, /Remove them from instanceIds/, /nothing was changed/],
  },
  {
    name: "sixthGroup",
    about: "a sixth security group on an instance",
    attachment: { name: "sixthGroup", securityGroupId: A, instanceIds: [ins(2), ins(5)] },
    expect: [
      /maximum of 5 security groups/,
      new RegExp(ins(5)),
      /Unbind a group from them first/,
      /nothing was changed/,
    ],
  },
  {
    name: "alreadyBound",
    about: "group already bound, without adoptExisting",
    attachment: { name: "alreadyBound", securityGroupId: A, instanceIds: [ins(3), ins(6)] },
    expect: [
      /already bound to sg-aaaa0001/,
      new RegExp(ins(6)),
      /adoptExisting: true/,
      /nothing was changed/,
    ],
  },
  {
    name: "unknownRegion",
    about: "well-formed region that does not exist",
    attachment: { name: "unknownRegion", securityGroupId: A, instanceIds: [ins(4)], region: "ap-atlantis" },
    expect: [/UnsupportedRegion/, /ap-atlantis/, /Check the region name/],
  },
  {
    name: "pendingInstance",
    about: "instance still being created (state PENDING)",
    attachment: { name: "pendingInstance", securityGroupId: A, instanceIds: [ins(7), ins(8)] },
    expect: [/InstanceStatePending/, new RegExp(ins(7)), /RUNNING or STOPPED/, /unbound again|as they were/],
  },
];

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

describe("bad input gives a clear error and leaves the cloud unchanged", () => {
  let emulator: RunningEmulator;
  const worldSeed = seed();
  const seedBindings: Bindings = seedBindingsOf(worldSeed);

  beforeAll(async () => {
    emulator = await startWorld(worldSeed);
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  interface Outcome {
    stack: TestStack;
    run: RunResult;
    diag: Record<string, string>;
  }

  async function runCase(c: Case): Promise<Outcome> {
    const env = { ...providerEnv(emulator), ...(c.env ? await c.env(emulator) : {}) };
    const stack = newStack(env);
    await initStack(stack, c.config ?? stackConfig, c.secrets ?? stackSecrets, c.attachments);
    const run = c.command === "up" ? await stack.up() : await stack.preview();
    return { stack, run, diag: diagnostics(run.all) };
  }

  /**
   * The cases of one block, several stacks at a time, on a world reset to the
   * seed: each block makes its own runs and its tests read only those.
   */
  function useCases(cases: () => Case[]): Map<string, Outcome> {
    const outcomes = new Map<string, Outcome>();
    beforeAll(async () => {
      await emulator.control.reset();
      const list = cases();
      const done = await pool(list, PARALLEL, runCase);
      list.forEach((c, k) => outcomes.set(c.name, done[k]));
    });
    afterAll(async () => {
      await pool([...outcomes.values()], PARALLEL, (o) => o.stack.cleanup());
    });
    return outcomes;
  }

  /** No binding made, no group touched, and no secret (nor the wrong key) shown by these runs. */
  async function expectNothingChanged(outcomes: Outcome[]) {
    expect(await emulator.control.bindings(REGION)).toEqual(seedBindings);
    const calls = await emulator.control.calls();
    const applied = calls.filter(
      (c) =>
        (c.action === "AssociateSecurityGroups" || c.action === "DisassociateSecurityGroups") && !c.errorCode,
    );
    expect(applied).toEqual([]);
    await expectOtherSgUntouched(emulator, calls);
    // The raw state files hold what `stack export` would print: skip the export here.
    const texts = await pool(outcomes, PARALLEL, (o) => everythingOf(o.stack, [], false));
    expectNoSecret([...texts, JSON.stringify(calls)].join("\n"), [SECRET_KEY, WRONG_KEY]);
  }

  describe("check-time mistakes (one resource per run, every failure of it reported)", () => {
    const outcomes = useCases(() =>
      CHECK_RUNS.map((r): Case => ({
        name: r.name,
        about: r.name,
        attachments: one(r.name, r.attachment),
        command: "preview",
        expect: [],
      })),
    );

    describe.each(CHECK_RUNS.flatMap((r) => r.cases.map((c) => [c.about, r.name, c] as const)))(
      "%s",
      (_about, run, c) => {
        it("fails at check time, naming the property and the fix", () => {
          const r = outcomes.get(run);
          expect(r).toBeDefined();
          expect(r!.run.code).not.toBe(0);
          const text = r!.diag[run] ?? "";
          const line = text
            .split("\n")
            .find((l) => new RegExp(`property ${c.property} value .* has a problem`).test(l));
          if (!line)
            throw new Error(
              `no check failure for property ${c.property} of ${run}; the CLI said:\n${r!.run.all}`,
            );
          for (const re of c.expect) {
            if (!re.test(line)) throw new Error(`the error for ${c.property} does not match ${re}:\n${line}`);
          }
        });
      },
    );

    it("left the world unchanged and showed no secret", async () => {
      await expectNothingChanged([...outcomes.values()]);
    });
  });

  describe("mistakes in the provider's settings (one stack each)", () => {
    const outcomes = useCases(() => SETTINGS_CASES);

    describe.each(SETTINGS_CASES.map((c) => [c.about, c] as const))("%s", (_about, c) => {
      it("fails with an error that names the setting or cause and the fix", () => {
        const r = outcomes.get(c.name);
        expect(r).toBeDefined();
        expect(r!.run.code).not.toBe(0);
        const text = r!.diag[c.name] ?? "";
        if (text === "")
          throw new Error(`no diagnostics for resource ${c.name}; the CLI said:\n${r!.run.all}`);
        for (const re of c.expect) {
          if (!re.test(text)) throw new Error(`the error for ${c.name} does not match ${re}:\n${text}`);
        }
      });
    });

    it("left the world unchanged and showed no secret (nor the wrong key)", async () => {
      await expectNothingChanged([...outcomes.values()]);
    });
  });

  describe("create-time cases and two claims of one binding, one `up --continue-on-error`", () => {
    let stack: TestStack;
    let run: RunResult;
    let diag: Record<string, string>;
    /** The world without F, the group of the two claims. */
    const withoutF = async () =>
      Object.fromEntries(
        Object.entries(await emulator.control.bindings(REGION)).map(([id, sgs]) => [
          id,
          sgs.filter((g) => g !== F),
        ]),
      );

    beforeAll(async () => {
      await emulator.control.reset();
      stack = await stackOn(emulator, [
        ...CREATE_CASES.map((c) => c.attachment),
        // Two resources claiming F on ins2 (a group nothing else uses).
        { name: "claimOne", securityGroupId: F, instanceIds: [ins(1), ins(2)] },
        { name: "claimTwo", securityGroupId: F, instanceIds: [ins(2), ins(3)] },
      ]);
      run = await stack.up(["--continue-on-error"]);
      diag = diagnostics(run.all);
    });
    afterAll(async () => {
      await stack?.cleanup();
    });

    it("reports every failed create", async () => {
      expect(run.code).not.toBe(0);
      expect(
        Object.keys(diag)
          .filter((n) => CREATE_CASES.some((c) => c.name === n))
          .sort(),
      ).toEqual(CREATE_CASES.map((c) => c.name).sort());
      const created = (await stack.resources()).map((r) => r.urn.split("::").pop());
      expect(created.filter((n) => CREATE_CASES.some((c) => c.name === n))).toEqual([]);
    });

    it.each(CREATE_CASES.map((c) => [c.about, c] as const))(
      "%s: names the cause and the fix",
      (_about, c) => {
        const text = diag[c.name] ?? "";
        if (text === "") throw new Error(`no diagnostics for resource ${c.name}; the CLI said:\n${run.all}`);
        for (const re of c.expect) {
          if (!re.test(text)) throw new Error(`the error for ${c.name} does not match ${re}:\n${text}`);
        }
      },
    );

    it("left the world as seeded (what a failed create had bound was unbound again)", async () => {
      await emulator.control.waitIdle();
      expect(await withoutF()).toEqual(seedBindings);
      await expectOtherSgUntouched(emulator);
    });

    it("two resources claiming one binding: one fails naming the contested instance; the binding is owned once", async () => {
      const failed = ["claimOne", "claimTwo"].filter((n) => /error/.test(diag[n] ?? ""));
      if (failed.length !== 1) {
        throw new Error(
          `expected exactly one of the two claims to fail, got ${failed.length}; the state claims ` +
            `${JSON.stringify(await statePairs(stack))}; the CLI said:\n${run.all.slice(run.all.indexOf("Updating"))}`,
        );
      }
      expect(diag[failed[0]]).toMatch(new RegExp(ins(2)));
      expect(diag[failed[0]]).toMatch(/already bound|another resource|claimed/);
      // No binding is claimed twice in the state (destroying one owner would pull it from under the other).
      const pairs = await statePairs(stack);
      expect(new Set(pairs).size).toBe(pairs.length);
      await expectStateMatchesWorld(stack, emulator, seedBindings);
    });

    it("destroy leaves the world as seeded; no secret shown in output, state, export or API messages", async () => {
      const d = await stack.destroy();
      expect(d.code).toBe(0);
      await emulator.control.waitIdle();
      expect(await emulator.control.bindings(REGION)).toEqual(seedBindings);
      await expectOtherSgUntouched(emulator);
      expectNoSecret(await everythingOf(stack, [JSON.stringify(await emulator.control.calls())]), [
        SECRET_KEY,
        WRONG_KEY,
      ]);
    });
  });
});
