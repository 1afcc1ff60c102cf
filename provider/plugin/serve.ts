// Serves the provider with `@pulumi/pulumi/provider`'s `main`, mending two
// gaps of its gRPC server (3.248): `configure` answers without passing the
// configuration on, and `read` fails when an import sends no properties.
// Both are mended on the service implementation as it is registered.

import * as path from "path";
import { implementation } from "../impl";
import { engineSink, warnings } from "../impl/engine-log";
import { progress } from "../impl/progress";
import { PROVIDER_NAMESPACE, useConfigNamespace } from "../impl/settings";
import { provider } from "./provider";

type Call = { request: any };
type Callback = (err: unknown, value?: unknown) => void;
type Handler = (call: Call, callback: Callback) => unknown;
/** Requires a module as @pulumi/pulumi's own copy (`@grpc/grpc-js`, `@pulumi/pulumi/provider`, ...). */
type PulumiRequire = (id: string) => any;

/** The modules of the installed @pulumi/pulumi, resolved from its folder (its own @grpc/grpc-js). */
function besidePulumi(id: string): any {
  const from = { paths: [path.dirname(require.resolve("@pulumi/pulumi/package.json"))] };
  return require(require.resolve(id, from));
}

/** `<pkg>:config:<key>` (what the engine sends) → `<pkg>:<key>` (what settings read). */
export function configOf(variables: Iterable<[string, string]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of variables) out.set(k.replace(/^([^:]+):config:/, "$1:"), v);
  return out;
}

function mend(service: Record<string, Handler>, structproto: any): void {
  const configure = service.configure.bind(service);
  service.configure = (call, callback) => {
    const vars: [string, string][] = call.request.getVariablesMap().toArray();
    implementation.configure(configOf(vars)).then(
      () => configure(call, callback),
      (e) => callback(e),
    );
  };
  const read = service.read.bind(service);
  service.read = (call, callback) => {
    if (!call.request.getProperties()) call.request.setProperties(new structproto.Struct());
    return read(call, callback);
  };
}

/** Starts the plugin: prints the port for the engine. `load`: see PulumiRequire. */
export function serve(args: string[], load: PulumiRequire = besidePulumi): Promise<void> {
  useConfigNamespace(PROVIDER_NAMESPACE);
  const grpc = load("@grpc/grpc-js");
  const structproto = load("google-protobuf/google/protobuf/struct_pb");
  let mended = false;
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (
    this: unknown,
    def: unknown,
    service: Record<string, Handler>,
  ) {
    if (typeof service?.configure === "function" && typeof service?.read === "function") {
      mend(service, structproto);
      mended = true;
    }
    return addService.call(this, def, service);
  };
  // Progress lines and warnings go to the engine's Log RPC, as from the dynamic-provider host.
  const engine = args.filter((a, i) => !a.startsWith("-") && args[i - 1] !== "--tracing")[0];
  const info = engineSink(load, engine, "info");
  if (info) progress.setSink(info);
  const warning = engineSink(load, engine, "warning");
  if (warning) warnings.setSink(warning);
  return load("@pulumi/pulumi/provider")
    .main(provider, args)
    .then(() => {
      // Another copy of @grpc/grpc-js served: the configuration would be lost.
      if (!mended)
        throw new Error("the provider's gRPC service was not registered through @grpc/grpc-js as loaded");
    });
}
