// Holds a raw Connect JSON answer against a wire schema: every field present must be a field of its
// message with that field's JSON shape (proto3 JSON mapping as Coral's Go protojson writes it: 64-bit
// integers as decimal strings, enums as known value names (or known numbers), Timestamps RFC 3339, Durations "1.5s"),
// following nested messages, lists and maps. Each deviation names its path, the expected shape and
// the value seen. A null counts as absent (JSON parsers read it as the default).
import { type WireSchema, fieldByJsonKey } from "./wire-schema.js";
import { type FieldShape, type ValueType, describeJson, describeShape, describeValueType, entryPath, fieldPath, isInt64, isPlainObject, itemPath } from "./wire-shape.js";

export interface WireDeviation {
  path: string;
  /** "expected <shape>" or another statement of what the schema says. */
  expected: string;
  seen: unknown;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const DURATION = /^-?\d+(\.\d{1,9})?s$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const INT32_RANGE: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  fixed32: [0, 2 ** 32 - 1],
};

/** Every deviation of `json` from message `typeName` of `schema`. */
export function checkWireJson(schema: WireSchema, typeName: string, json: unknown, path = ""): WireDeviation[] {
  const out: WireDeviation[] = [];
  checkMessage(schema, typeName, json, path, out);
  return out;
}

function checkMessage(schema: WireSchema, typeName: string, json: unknown, path: string, out: WireDeviation[]): void {
  const message = schema.messages.get(typeName);
  if (!message) {
    out.push({ path: path || "(answer)", expected: `${typeName} is not a message of ${schema.source}'s schema`, seen: json });
    return;
  }
  if (!isPlainObject(json)) {
    out.push({ path: path || "(answer)", expected: `expected object (${typeName})`, seen: json });
    return;
  }
  for (const [key, value] of Object.entries(json)) {
    const at = fieldPath(path, key);
    const field = fieldByJsonKey(message, key);
    if (!field) out.push({ path: at, expected: `not a field of ${typeName} in ${schema.source}'s schema`, seen: value });
    else if (value !== null) checkField(schema, field, value, at, out);
  }
}

function checkField(schema: WireSchema, field: FieldShape, value: unknown, path: string, out: WireDeviation[]): void {
  if (field.label === "repeated") {
    if (!Array.isArray(value)) return void out.push({ path, expected: `expected ${describeShape(field)}`, seen: value });
    value.forEach((item, i) => checkValue(schema, field.value, item, itemPath(path, i), out));
  } else if (field.label === "map") {
    if (!isPlainObject(value)) return void out.push({ path, expected: `expected ${describeShape(field)}`, seen: value });
    for (const [key, item] of Object.entries(value)) {
      const keyIssue = mapKeyIssue(field.mapKey!, key);
      if (keyIssue) out.push({ path: entryPath(path, key), expected: keyIssue, seen: key });
      checkValue(schema, field.value, item, entryPath(path, key), out);
    }
  } else {
    checkValue(schema, field.value, value, path, out);
  }
}

function checkValue(schema: WireSchema, type: ValueType, value: unknown, path: string, out: WireDeviation[]): void {
  if (type.kind === "message") return checkMessage(schema, type.typeName, value, path, out);
  if (!valueFits(schema, type, value)) out.push({ path, expected: `expected ${describeValueType(type)}${enumHint(schema, type)}`, seen: value });
}

function valueFits(schema: WireSchema, type: ValueType, value: unknown): boolean {
  switch (type.kind) {
    case "timestamp":
      return typeof value === "string" && RFC3339.test(value) && !Number.isNaN(Date.parse(value));
    case "duration":
      return typeof value === "string" && DURATION.test(value);
    case "enum": {
      // A name, or the number of a known value: parsers accept both, and Coral's discovery writes
      // `nat` as 0 (connectivity.md §2.2). An unknown number is what Go writes for a value it has
      // and the schema does not.
      const values = schema.enums.get(type.typeName)?.values;
      if (typeof value === "number") return [...(values?.values() ?? [])].includes(value);
      return typeof value === "string" && (values?.has(value) ?? false);
    }
    case "message":
      return isPlainObject(value);
    case "scalar": {
      const s = type.scalar;
      if (s === "string") return typeof value === "string";
      if (s === "bool") return typeof value === "boolean";
      if (s === "bytes") return typeof value === "string" && BASE64.test(value);
      if (isInt64(s)) return typeof value === "string" && (s.startsWith("u") || s === "fixed64" ? /^\d+$/ : /^-?\d+$/).test(value);
      if (s === "double" || s === "float") return (typeof value === "number" && Number.isFinite(value)) || value === "NaN" || value === "Infinity" || value === "-Infinity";
      const [min, max] = INT32_RANGE[s]!;
      return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
    }
  }
}

function mapKeyIssue(key: string, text: string): string | undefined {
  if (key === "string") return undefined;
  if (key === "bool") return text === "true" || text === "false" ? undefined : "a map key true or false";
  return /^-?\d+$/.test(text) ? undefined : `a decimal ${key} map key`;
}

/** For an enum: the names it knows, so a reader sees at once whether the value is a new one. */
function enumHint(schema: WireSchema, type: ValueType): string {
  if (type.kind !== "enum") return "";
  const names = [...(schema.enums.get(type.typeName)?.values.keys() ?? [])];
  return names.length ? ` (one of ${names.slice(0, 8).join(", ")}${names.length > 8 ? ", …" : ""})` : "";
}

/** `agents[0].runtimeContext…: expected object (…), saw array ["…"]`. */
export function formatDeviation(d: WireDeviation): string {
  return `${d.path}: ${d.expected}, saw ${describeJson(d.seen)}`;
}

/**
 * One line per distinct deviation: the same field deviating in every list item (each agent, each
 * span) is shown once with the number of items, so one drifting field reads as one failure.
 */
export function summariseDeviations(deviations: WireDeviation[]): string[] {
  const groups = new Map<string, { first: WireDeviation; count: number }>();
  for (const d of deviations) {
    const key = `${d.path.replace(/\[\d+\]/g, "[*]")}\u0000${d.expected}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { first: d, count: 1 });
  }
  return [...groups.values()].map(({ first, count }) => formatDeviation(first) + (count > 1 ? ` (and ${count - 1} more like it)` : ""));
}
