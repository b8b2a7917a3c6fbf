// Coral's wire schema as data: every RPC, every message field (number, label, type, JSON shape) and
// every enum value, parsed from proto/wire/coral-v<version>.tsv (shipped with the package). The same
// model describes the project's own proto/ (from protobuf-es descriptors), so the two can be held
// against each other, and raw JSON answers against Coral's side.
import type { DescMessage, Registry } from "@bufbuild/protobuf";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type FieldShape, type Label, type ScalarName, type ValueType, isScalarName, jsonNameOf, messageValue, shapeOfDescField } from "./wire-shape.js";

export interface WireField extends FieldShape {
  name: string; // proto name, snake_case
  jsonName: string;
  number: number;
}

export interface WireMessage {
  typeName: string;
  fields: WireField[];
}

export interface WireEnum {
  typeName: string;
  values: Map<string, number>; // name → number
}

export interface WireRpc {
  path: string; // "coral.colony.v1.ColonyService/ListAgents"
  input: string; // full message names
  output: string;
  streaming: boolean;
}

export interface WireSchema {
  source: string;
  messages: Map<string, WireMessage>;
  enums: Map<string, WireEnum>;
  rpcs: Map<string, WireRpc>;
}

/** The schema of the Coral version this runner holds deployments to. */
export const CORAL_WIRE_VERSION = "v0.3.0";

const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export function wireSchemaPath(version = CORAL_WIRE_VERSION): string {
  return join(PACKAGE_ROOT, "proto", "wire", `coral-${version}.tsv`);
}

let cached: WireSchema | undefined;

/** Coral's wire schema, read once from the package's proto/wire/. */
export function coralWireSchema(): WireSchema {
  cached ??= parseWireSchema(readFileSync(wireSchemaPath(), "utf8"), `Coral ${CORAL_WIRE_VERSION}`);
  return cached;
}

/**
 * Parses the TSV (kind, name, field, number, label, type, json; `#` comments). Message fields take
 * their value type from the json column, which names enums and messages in full.
 */
export function parseWireSchema(text: string, source: string): WireSchema {
  const schema: WireSchema = { source, messages: new Map(), enums: new Map(), rpcs: new Map() };
  text.split("\n").forEach((line, index) => {
    if (!line.trim() || line.startsWith("#")) return;
    const [kind, name = "", field = "", number = "", label = "", type = "", json = ""] = line.split("\t");
    const where = `${source} line ${index + 1}`;
    if (kind === "rpc") {
      const m = /^(\w+)\s*->\s*(\w+)$/.exec(type.trim());
      if (!m) throw new Error(`${where}: rpc ${name} has no "Input -> Output" types`);
      const pkg = name.slice(0, name.lastIndexOf(".", name.indexOf("/")));
      schema.rpcs.set(name, { path: name, input: `${pkg}.${m[1]}`, output: `${pkg}.${m[2]}`, streaming: label === "stream" });
    } else if (kind === "enum") {
      const values = schema.enums.get(name)?.values ?? new Map<string, number>();
      values.set(field, Number(number));
      schema.enums.set(name, { typeName: name, values });
    } else if (kind === "field") {
      const message = schema.messages.get(name) ?? { typeName: name, fields: [] };
      schema.messages.set(name, message);
      if (field) message.fields.push({ name: field, jsonName: jsonNameOf(field), number: Number(number), ...fieldShape(label, type, json, where) });
    } else {
      throw new Error(`${where}: unknown kind ${JSON.stringify(kind)}`);
    }
  });
  return schema;
}

function fieldShape(labelText: string, type: string, json: string, where: string): FieldShape {
  const label: Label = labelText.startsWith("/oneof") ? "oneof" : (labelText as Label);
  if (!["", "optional", "oneof", "repeated", "map"].includes(label)) throw new Error(`${where}: unknown label ${labelText}`);
  if (label === "map") {
    const m = /^map<(\w+),(\w+)>$/.exec(type.replace(/\s/g, ""));
    if (!m || !isScalarName(m[1]!) || !isScalarName(m[2]!)) throw new Error(`${where}: unsupported map type ${type}`);
    return { label, mapKey: m[1] as ScalarName, value: { kind: "scalar", scalar: m[2] as ScalarName } };
  }
  return { label, value: valueFromJsonColumn(json.replace(/^array of /, ""), type, where) };
}

function valueFromJsonColumn(json: string, type: string, where: string): ValueType {
  const named = /^(object|string)\((enum )?([\w.]+)\)$/.exec(json);
  if (named?.[1] === "object") return messageValue(named[3]!);
  if (named?.[2]) return { kind: "enum", typeName: named[3]! };
  if (type === "google.protobuf.Timestamp" || type === "google.protobuf.Duration") return messageValue(type);
  if (isScalarName(type)) return { kind: "scalar", scalar: type };
  throw new Error(`${where}: cannot read the type of ${type} (${json})`);
}

/** The same model for a set of protobuf-es descriptors (the project's proto/gen). */
export function schemaFromRegistry(registry: Registry, source: string): WireSchema {
  const schema: WireSchema = { source, messages: new Map(), enums: new Map(), rpcs: new Map() };
  for (const type of registry) {
    if (type.kind === "message") schema.messages.set(type.typeName, messageFromDesc(type));
    else if (type.kind === "enum") schema.enums.set(type.typeName, { typeName: type.typeName, values: new Map(type.values.map((v) => [v.name, v.number])) });
    else if (type.kind === "service") {
      for (const method of type.methods) {
        const path = `${type.typeName}/${method.name}`;
        schema.rpcs.set(path, { path, input: method.input.typeName, output: method.output.typeName, streaming: method.methodKind !== "unary" });
      }
    }
  }
  return schema;
}

function messageFromDesc(desc: DescMessage): WireMessage {
  return {
    typeName: desc.typeName,
    fields: desc.fields.map((f) => ({
      name: f.name,
      jsonName: f.jsonName,
      number: f.number,
      ...shapeOfDescField(f),
    })),
  };
}

/** A field by its JSON name or its proto name (Connect JSON parsers accept both). */
export function fieldByJsonKey(message: WireMessage, key: string): WireField | undefined {
  return message.fields.find((f) => f.jsonName === key || f.name === key);
}
