// Progress lines during long work, e.g. `sg-web00001: 240/1000 bound`, shown
// by `pulumi up`: at most one line per `intervalMs` per (action, group), and
// none for work that ends sooner.
//
// How a line reaches the CLI: the dynamic-provider host
// (@pulumi/pulumi/cmd/dynamic-provider) gets the engine's address as its
// first argument but never hands it to @pulumi/pulumi's `log` module (which
// then falls back to console.log). So the line goes straight to the engine's
// Log RPC through the host's own copy of @pulumi/pulumi, loaded lazily: the
// implementation must load without it. The message names no resource (the
// host does not pass URNs to create/update/delete), so the CLI shows it on
// the stack's row; it is ephemeral: shown while running, not repeated under
// "Diagnostics". Should loading fail, the line goes to the host's stderr,
// which the engine also shows. Outside the host (tests calling the
// implementation directly) lines go nowhere unless a sink is set.

import { createRequire } from "module";

export type ProgressSink = (line: string) => void;
export type ProgressKind = "associate" | "disassociate";

const VERB: Record<ProgressKind, string> = { associate: "bound", disassociate: "unbound" };

interface Group {
  done: number;
  total: number;
  shown: string;
  timer: NodeJS.Timeout;
}

/** Counts settled operations per (action, group) and reports them on a timer. */
export class Progress {
  private readonly groups = new Map<string, Group>();
  constructor(private sink: ProgressSink | null = null) {}

  /** Where lines go (`null`: the default, chosen at the first line). */
  setSink(sink: ProgressSink | null): void {
    this.sink = sink;
  }

  /**
   * Notes `count` operations of `kind` on `sg` starting; returns what to call
   * as each one settles.
   */
  start(kind: ProgressKind, sg: string, count: number, intervalMs: number): () => void {
    // No work (the flows run empty lists often): no group, whose timer nothing would stop.
    if (count === 0) return () => undefined;
    const key = `${kind}|${sg}`;
    let g = this.groups.get(key);
    if (!g) {
      const timer = setInterval(() => this.tick(key, kind, sg), intervalMs > 0 ? intervalMs : 5_000);
      timer.unref?.();
      g = { done: 0, total: 0, shown: "", timer };
      this.groups.set(key, g);
    }
    g.total += count;
    const group = g;
    return () => {
      group.done++;
      if (group.done >= group.total && this.groups.get(key) === group) {
        clearInterval(group.timer);
        this.groups.delete(key);
      }
    };
  }

  /** Stops every timer and forgets the counts and the sink. For tests. */
  clear(): void {
    for (const g of this.groups.values()) clearInterval(g.timer);
    this.groups.clear();
    this.sink = null;
  }

  private tick(key: string, kind: ProgressKind, sg: string): void {
    const g = this.groups.get(key);
    if (!g) return;
    const line = `${sg}: ${g.done}/${g.total} ${VERB[kind]}`;
    if (line === g.shown) return; // nothing new since the last line
    g.shown = line;
    (this.sink ?? (this.sink = defaultSink()))(line);
  }
}

/** The provider process's one progress reporter. */
export const progress = new Progress();

/** The host's script (argv[1]) when this process is the dynamic-provider host. */
function hostScript(): string | undefined {
  const script = process.argv[1] ?? "";
  return /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]dynamic-provider([\\/]|$)/.test(script) ? script : undefined;
}

function defaultSink(): ProgressSink {
  const script = hostScript();
  if (!script) return () => undefined;
  return (
    engineSink(createRequire(script), process.argv[2]) ?? ((line) => void process.stderr.write(`${line}\n`))
  );
}

/**
 * Info messages through the engine's Log RPC, or undefined when the modules
 * cannot be loaded. `load` requires them as @pulumi/pulumi's own (the
 * dynamic-provider host's, or the provider plugin's).
 */
export function engineSink(
  load: (id: string) => any,
  engineAddress: string | undefined,
): ProgressSink | undefined {
  if (!engineAddress) return undefined;
  try {
    const grpc = load("@grpc/grpc-js");
    const engineRpc = load("@pulumi/pulumi/proto/engine_grpc_pb");
    const engineProto = load("@pulumi/pulumi/proto/engine_pb");
    const client = new engineRpc.EngineClient(engineAddress, grpc.credentials.createInsecure());
    return (line) => {
      const req = new engineProto.LogRequest();
      req.setSeverity(engineProto.LogSeverity.INFO);
      req.setMessage(line);
      req.setUrn("");
      req.setEphemeral(true);
      client.log(req, (err: unknown) => {
        if (err) process.stderr.write(`${line}\n`);
      });
    };
  } catch {
    return undefined;
  }
}
