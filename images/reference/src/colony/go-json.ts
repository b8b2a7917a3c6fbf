// Go encoding/json of protoc-gen-go structs, as Coral's CLI `-o json` prints them (contract §4.2,
// §6.13): proto field names (snake_case) with omitempty, integer enums, Timestamps as
// {seconds,nanos}, int64 as numbers, bytes as base64, and `null` for an empty top-level list.
import type { DescField, DescMessage, Message } from "@bufbuild/protobuf";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function scalar(value: unknown): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "bigint") return value === 0n ? undefined : Number(value);
  if (value instanceof Uint8Array) return value.length ? Buffer.from(value).toString("base64") : undefined;
  if (value === 0 || value === "" || value === false) return undefined;
  return value as Json;
}

function messageValue(desc: DescMessage, value: any): Json {
  if (desc.typeName === "google.protobuf.Timestamp") {
    const out: Record<string, Json> = {};
    if (value.seconds) out.seconds = Number(value.seconds);
    if (value.nanos) out.nanos = value.nanos;
    return out;
  }
  return toGoJson(desc, value);
}

function fieldValue(field: DescField, value: any): Json | undefined {
  switch (field.fieldKind) {
    case "scalar":
    case "enum":
      return scalar(value);
    case "message":
      return value === undefined ? undefined : messageValue(field.message, value);
    case "list": {
      if (!value?.length) return undefined;
      return value.map((item: any) => (field.listKind === "message" ? messageValue(field.message!, item) : (scalar(item) ?? item)));
    }
    case "map": {
      const keys = Object.keys(value ?? {}).sort();
      if (!keys.length) return undefined;
      return Object.fromEntries(keys.map((k) => [k, field.mapKind === "message" ? messageValue(field.message!, value[k]) : (scalar(value[k]) ?? value[k])]));
    }
  }
}

export function toGoJson<D extends DescMessage>(desc: D, msg: Message | Record<string, unknown>): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  for (const field of desc.fields) {
    const v = fieldValue(field, (msg as Record<string, unknown>)[field.localName]);
    if (v !== undefined) out[field.name] = v;
  }
  return out;
}

/** A Go nil slice marshals as `null`. */
export function goJsonList<D extends DescMessage>(desc: D, items: Message[]): string {
  return items.length ? JSON.stringify(items.map((m) => toGoJson(desc, m)), null, 2) : "null";
}
