// Action parameter schemas and their decoding from either a JSON body or
// indexed form/query pairs (`InstanceIds.0=...`, `Filters.0.Values.1=...`).
//
// Malformed input -> code:
//   unknown parameter name (any depth)             -> UnknownParameter
//   required parameter absent, null or empty array -> MissingParameter
//   wrong JSON type / non-integer form value       -> InvalidParameter
//   bad form key (empty segment, index > 9999,
//   gaps in indices, `X=..` mixed with `X.0=..`)   -> InvalidParameter

import { apiFault, msg } from "../errors";
import type { ParamInput } from "./request";

export type Schema =
  | { type: "string" }
  | { type: "integer" }
  | { type: "array"; items: Schema }
  | { type: "object"; fields: Record<string, Field> };

export interface Field {
  schema: Schema;
  required?: boolean;
}

export type ObjectSchema = Extract<Schema, { type: "object" }>;

export const S = {
  string: (): Schema => ({ type: "string" }),
  integer: (): Schema => ({ type: "integer" }),
  array: (items: Schema): Schema => ({ type: "array", items }),
  object: (fields: Record<string, Field>): ObjectSchema => ({ type: "object", fields }),
  opt: (schema: Schema): Field => ({ schema }),
  req: (schema: Schema): Field => ({ schema, required: true }),
};

const MAX_INDEX = 9999;
const MAX_DEPTH = 8;

type Mode = "json" | "form";

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function typeName(s: Schema): string {
  switch (s.type) {
    case "string":
      return "String";
    case "integer":
      return "Integer";
    case "array":
      return "Array";
    case "object":
      return "Object";
  }
}

function validate(schema: Schema, value: unknown, path: string, mode: Mode, depth: number): unknown {
  if (depth > MAX_DEPTH)
    throw apiFault("InvalidParameter", `The parameter \`${path}\` is nested too deeply.`);
  switch (schema.type) {
    case "string":
      if (typeof value !== "string") throw apiFault("InvalidParameter", msg.type(path, "String"));
      return value;
    case "integer":
      if (mode === "json") {
        if (typeof value !== "number" || !Number.isSafeInteger(value)) {
          throw apiFault("InvalidParameter", msg.type(path, "Integer"));
        }
        return value;
      }
      if (typeof value !== "string" || !/^-?\d{1,15}$/.test(value)) {
        throw apiFault("InvalidParameter", msg.type(path, "Integer"));
      }
      return Number(value);
    case "array": {
      if (!Array.isArray(value)) throw apiFault("InvalidParameter", msg.type(path, "Array"));
      return value.map((v, i) => {
        if (v === null || v === undefined)
          throw apiFault("InvalidParameter", msg.type(`${path}.${i}`, typeName(schema.items)));
        return validate(schema.items, v, `${path}.${i}`, mode, depth + 1);
      });
    }
    case "object": {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw apiFault("InvalidParameter", msg.type(path || "(body)", "Object"));
      }
      const obj = value as Record<string, unknown>;
      const prefix = path ? path + "." : "";
      for (const k of Object.keys(obj)) {
        if (!hasOwn(schema.fields, k)) throw apiFault("UnknownParameter", msg.unknown(prefix + k));
      }
      const out: Record<string, unknown> = {};
      for (const [k, field] of Object.entries(schema.fields)) {
        const v = hasOwn(obj, k) ? obj[k] : undefined;
        const absent = v === undefined || v === null || (Array.isArray(v) && v.length === 0);
        if (absent) {
          if (field.required) throw apiFault("MissingParameter", msg.missing(prefix + k));
          continue;
        }
        out[k] = validate(field.schema, v, prefix + k, mode, depth + 1);
      }
      return out;
    }
  }
}

// ---- form pairs -> nested value ----

interface Branch {
  children: Map<string, Node>;
}
type Node = { leaf: string } | Branch;

function isBranch(n: Node): n is Branch {
  return (n as Branch).children !== undefined;
}

function buildTree(pairs: [string, string][]): Branch {
  const root: Branch = { children: new Map() };
  for (const [key, value] of pairs) {
    const segs = key.split(".");
    if (segs.some((s) => s === "") || segs.length > MAX_DEPTH) {
      throw apiFault("InvalidParameter", `The parameter name \`${key}\` is malformed.`);
    }
    let node: Branch = root;
    segs.forEach((seg, i) => {
      const last = i === segs.length - 1;
      const existing = node.children.get(seg);
      if (last) {
        if (existing)
          throw apiFault("InvalidParameter", `The parameter \`${key}\` conflicts with another parameter.`);
        node.children.set(seg, { leaf: value });
        return;
      }
      if (existing && !isBranch(existing)) {
        throw apiFault(
          "InvalidParameter",
          `The parameter \`${key}\` conflicts with \`${segs.slice(0, i + 1).join(".")}\`.`,
        );
      }
      const next: Branch = existing && isBranch(existing) ? existing : { children: new Map() };
      node.children.set(seg, next);
      node = next;
    });
  }
  return root;
}

function treeToValue(node: Node, path: string): unknown {
  if (!isBranch(node)) return node.leaf;
  const keys = [...node.children.keys()];
  const numeric = keys.length > 0 && keys.every((k) => /^(0|[1-9]\d*)$/.test(k));
  if (numeric) {
    const idx = keys.map(Number).sort((a, b) => a - b);
    if (idx[idx.length - 1] > MAX_INDEX) {
      throw apiFault("InvalidParameter", `The index of \`${path}.N\` must not exceed ${MAX_INDEX}.`);
    }
    if (idx.some((n, i) => n !== i)) {
      throw apiFault("InvalidParameter", `The indices of \`${path}.N\` must be contiguous and start at 0.`);
    }
    return idx.map((i) => treeToValue(node.children.get(String(i))!, `${path}.${i}`));
  }
  const obj: Record<string, unknown> = Object.create(null);
  for (const [k, child] of node.children) obj[k] = treeToValue(child, path ? `${path}.${k}` : k);
  return obj;
}

/** Validates and types the action parameters. */
export function decodeParams(schema: ObjectSchema, input: ParamInput): Record<string, unknown> {
  if (input.kind === "json") return validate(schema, input.value, "", "json", 0) as Record<string, unknown>;
  const value = treeToValue(buildTree(input.pairs), "");
  return validate(schema, value, "", "form", 0) as Record<string, unknown>;
}

/** Best effort, never throws: string arrays named `name` in the raw input (for the calls log). */
export function peekStringArray(input: ParamInput | undefined, name: string): string[] | undefined {
  if (!input) return undefined;
  if (input.kind === "json") {
    const v = (input.value as Record<string, unknown> | null)?.[name];
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v.slice(0, 1000) as string[];
    return undefined;
  }
  const re = new RegExp(`^${name}\\.(\\d+)$`);
  const out: [number, string][] = [];
  for (const [k, v] of input.pairs) {
    const m = re.exec(k);
    if (m) out.push([Number(m[1]), v]);
  }
  if (!out.length) return undefined;
  return out
    .sort((a, b) => a[0] - b[0])
    .slice(0, 1000)
    .map(([, v]) => v);
}
