// The generated SDKs: regenerating them from the plugin's schema
// (scripts/gen-sdk, Pulumi's own generators) reproduces what is committed in
// sdk/, and the Go program of examples/go, which uses sdk/go, builds and
// passes `go vet`. Both need Go (so they run with the end-to-end suites).
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "./harness";

jest.setTimeout(900_000);

/** Every file under dir, as relative path → content. */
function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p, "utf8"));
    }
  };
  walk(dir);
  return out;
}

function go(args: string[], cwd: string): string {
  if (spawnSync("go", ["version"]).error) throw new Error("these checks need Go >= 1.25 on PATH");
  return execFileSync("go", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    // -trimpath matches the CLI's and the hosts' builds, so their compiled packages are reused.
    env: { ...process.env, GOFLAGS: "-trimpath" },
  });
}

describe("generated SDKs", () => {
  let out: string;
  beforeAll(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-gen-sdk-"));
  });
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it.each(["python", "go"])(
    "sdk/%s is what scripts/gen-sdk makes of provider/plugin/schema.json",
    (language) => {
      if (!fs.existsSync(path.join(out, language)))
        go(
          ["run", ".", path.join(REPO_ROOT, "provider", "plugin", "schema.json"), out],
          path.join(REPO_ROOT, "scripts", "gen-sdk"),
        );
      const fresh = tree(path.join(out, language));
      const committed = tree(path.join(REPO_ROOT, "sdk", language));
      expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
      for (const [file, content] of fresh)
        expect({ file, content: committed.get(file) }).toEqual({ file, content });
    },
  );

  it("a Go program using sdk/go (examples/go) builds and passes go vet", () => {
    const dir = path.join(REPO_ROOT, "examples", "go");
    // -mod=readonly: go.mod and go.sum are complete as committed; nothing is rewritten.
    go(["build", "-mod=readonly", "-o", path.join(out, "example-go"), "."], dir);
    expect(fs.statSync(path.join(out, "example-go")).size).toBeGreaterThan(0);
    go(["vet", "-mod=readonly", "."], dir);
  });
});
