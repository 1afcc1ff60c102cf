// Lines for the CLI from inside the dynamic-provider host: progress (info,
// ephemeral) and warnings (kept under "Diagnostics").
//
// The host (@pulumi/pulumi/cmd/dynamic-provider) gets the engine's address as
// its first argument but never hands it to @pulumi/pulumi's `log` module
// (which then falls back to console.log). So a line goes straight to the
// engine's Log RPC through the host's own copy of @pulumi/pulumi, loaded
// lazily: the implementation must load without it. The host passes no URN to
// create/read/update/delete, so the CLI shows the line on the stack's row.
// Should loading fail, the line goes to the host's stderr, which the engine
// also shows. Outside the host (tests calling the implementation directly)
// lines go nowhere unless a sink is set.

import { createRequire } from "module";

export type LogSink = (line: string) => void;
type Severity = "info" | "warning";

/** The host's script (argv[1]) when this process is the dynamic-provider host. */
function hostScript(): string | undefined {
  const script = process.argv[1] ?? "";
  return /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]dynamic-provider([\\/]|$)/.test(script) ? script : undefined;
}

/** Where lines of `severity` go in this process: info lines are ephemeral (progress), warnings stay. */
export function hostSink(severity: Severity): LogSink {
  const script = hostScript();
  if (!script) return () => undefined;
  return engineSink(script, process.argv[2], severity) ?? ((line) => void process.stderr.write(`${line}\n`));
}

/** Messages through the engine's Log RPC, or undefined when the host's modules cannot be loaded. */
function engineSink(
  hostScriptPath: string,
  engineAddress: string | undefined,
  severity: Severity,
): LogSink | undefined {
  if (!engineAddress) return undefined;
  try {
    const load = createRequire(hostScriptPath);
    const grpc = load("@grpc/grpc-js");
    const engineRpc = load("../../proto/engine_grpc_pb");
    const engineProto = load("../../proto/engine_pb");
    const client = new engineRpc.EngineClient(engineAddress, grpc.credentials.createInsecure());
    return (line) => {
      const req = new engineProto.LogRequest();
      req.setSeverity(severity === "info" ? engineProto.LogSeverity.INFO : engineProto.LogSeverity.WARNING);
      req.setMessage(line);
      req.setUrn("");
      req.setEphemeral(severity === "info");
      client.log(req, (err: unknown) => {
        if (err) process.stderr.write(`${line}\n`);
      });
    };
  } catch {
    return undefined;
  }
}

/** Warnings for the CLI (fights, see fights.ts): the process's one channel. */
class Warnings {
  private sink: LogSink | null = null;

  /** Where warnings go (`null`: the host's engine, chosen at the first warning). Tests set one. */
  setSink(sink: LogSink | null): void {
    this.sink = sink;
  }

  emit(line: string): void {
    (this.sink ?? (this.sink = hostSink("warning")))(line);
  }
}

export const warnings = new Warnings();
