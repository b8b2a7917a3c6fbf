// The vocabulary of Coral's wire schema: a field's label and value type, the JSON shape they give it
// under Connect JSON (proto3 JSON mapping), and short descriptions of shapes and of JSON values for
// failure messages. Shared by the schema data (wire-schema.ts), the raw-answer checker
// (wire-json.ts) and the clients' pruning of malformed fields (lenient-json.ts).
import { ScalarType, type DescField } from "@bufbuild/protobuf";

export type ScalarName =
  | "double" | "float" | "int64" | "uint64" | "int32" | "fixed64" | "fixed32" | "bool" | "string"
  | "bytes" | "uint32" | "sfixed32" | "sfixed64" | "sint32" | "sint64";

export type ValueType =
  | { kind: "scalar"; scalar: ScalarName }
  | { kind: "enum"; typeName: string }
  | { kind: "message"; typeName: string }
  | { kind: "timestamp" }
  | { kind: "duration" };

/** "" is a plain singular field; "oneof" a member of a (real) oneof. */
export type Label = "" | "optional" | "oneof" | "repeated" | "map";

export interface FieldShape {
  label: Label;
  value: ValueType;
  /** Map fields only: the key's scalar type. */
  mapKey?: ScalarName;
}

const SCALAR_NAMES: Record<number, ScalarName> = {
  [ScalarType.DOUBLE]: "double",
  [ScalarType.FLOAT]: "float",
  [ScalarType.INT64]: "int64",
  [ScalarType.UINT64]: "uint64",
  [ScalarType.INT32]: "int32",
  [ScalarType.FIXED64]: "fixed64",
  [ScalarType.FIXED32]: "fixed32",
  [ScalarType.BOOL]: "bool",
  [ScalarType.STRING]: "string",
  [ScalarType.BYTES]: "bytes",
  [ScalarType.UINT32]: "uint32",
  [ScalarType.SFIXED32]: "sfixed32",
  [ScalarType.SFIXED64]: "sfixed64",
  [ScalarType.SINT32]: "sint32",
  [ScalarType.SINT64]: "sint64",
};

export const isScalarName = (name: string): name is ScalarName => Object.values(SCALAR_NAMES).includes(name as ScalarName);

/** 64-bit integers travel as JSON strings (proto3 JSON mapping). */
export const isInt64 = (s: ScalarName) => s === "int64" || s === "uint64" || s === "fixed64" || s === "sfixed64" || s === "sint64";

/** protoc's json_name: lowerCamelCase of the field name. */
export function jsonNameOf(fieldName: string): string {
  return fieldName.replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A well-known type by full name, or a message. */
export function messageValue(typeName: string): ValueType {
  if (typeName === "google.protobuf.Timestamp") return { kind: "timestamp" };
  if (typeName === "google.protobuf.Duration") return { kind: "duration" };
  return { kind: "message", typeName };
}

/** The shape of a field the project declares, from its protobuf-es descriptor. */
export function shapeOfDescField(field: DescField): FieldShape {
  const label: Label = field.oneof ? "oneof" : field.proto.proto3Optional ? "optional" : "";
  switch (field.fieldKind) {
    case "scalar":
      return { label, value: { kind: "scalar", scalar: SCALAR_NAMES[field.scalar]! } };
    case "enum":
      return { label, value: { kind: "enum", typeName: field.enum.typeName } };
    case "message":
      return { label, value: messageValue(field.message.typeName) };
    case "list": {
      const value: ValueType =
        field.listKind === "scalar" ? { kind: "scalar", scalar: SCALAR_NAMES[field.scalar]! }
        : field.listKind === "enum" ? { kind: "enum", typeName: field.enum.typeName }
        : messageValue(field.message.typeName);
      return { label: "repeated", value };
    }
    case "map": {
      const value: ValueType =
        field.mapKind === "scalar" ? { kind: "scalar", scalar: SCALAR_NAMES[field.scalar]! }
        : field.mapKind === "enum" ? { kind: "enum", typeName: field.enum.typeName }
        : messageValue(field.message.typeName);
      return { label: "map", value, mapKey: SCALAR_NAMES[field.mapKey]! };
    }
  }
}

/** The JSON shape of one value of this type: "object (coral.agent.v1.ExecCapabilities)", "string (int64)". */
export function describeValueType(value: ValueType): string {
  switch (value.kind) {
    case "message":
      return `object (${value.typeName})`;
    case "enum":
      return `string (enum ${value.typeName})`;
    case "timestamp":
      return "string (RFC 3339 timestamp)";
    case "duration":
      return 'string (duration, e.g. "5s")';
    case "scalar": {
      const s = value.scalar;
      if (s === "string") return "string";
      if (s === "bool") return "bool";
      if (s === "bytes") return "string (base64 bytes)";
      if (isInt64(s)) return `string (${s})`;
      if (s === "double" || s === "float") return `number (${s})`;
      return `number (${s})`;
    }
  }
}

/** The JSON shape of the whole field: a value, an array of values, or an object of values. */
export function describeShape(shape: FieldShape): string {
  if (shape.label === "repeated") return `array of ${describeValueType(shape.value)}`;
  if (shape.label === "map") return `object (map of ${shape.mapKey} to ${describeValueType(shape.value)})`;
  return describeValueType(shape.value);
}

/** What a JSON value is, with a short excerpt: `array ["nsenter"]`, `number 5`, `object {"mode":…}`. */
export function describeJson(value: unknown, max = 80): string {
  const kind = value === null ? "null" : Array.isArray(value) ? "array" : typeof value === "boolean" ? "bool" : typeof value;
  const text = JSON.stringify(value) ?? String(value);
  return `${kind} ${text.length <= max ? text : `${text.slice(0, max - 1)}…`}`;
}

/** A JSON path step: `.name` for fields, `[3]` for list items, `["key"]` for map entries. */
export const fieldPath = (parent: string, name: string) => (parent ? `${parent}.${name}` : name);
export const itemPath = (parent: string, index: number) => `${parent}[${index}]`;
export const entryPath = (parent: string, key: string) => `${parent}[${JSON.stringify(key)}]`;

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
