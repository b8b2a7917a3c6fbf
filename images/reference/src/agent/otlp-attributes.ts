// OTLP attribute values as Coral stores them: every value as a string (contract
// observability.md §4.2 step 3), the way the OpenTelemetry collector's pdata renders values.
import type { AnyValue, KeyValue } from "../../../../proto/gen/opentelemetry/proto/common/v1/common_pb.js";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function toJson(value: AnyValue | undefined): Json {
  const v = value?.value;
  switch (v?.case) {
    case "stringValue":
    case "boolValue":
    case "doubleValue":
      return v.value;
    case "intValue":
      return Number(v.value);
    case "bytesValue":
      return Buffer.from(v.value).toString("base64");
    case "arrayValue":
      return v.value.values.map(toJson);
    case "kvlistValue":
      return Object.fromEntries(v.value.values.map((kv) => [kv.key, toJson(kv.value)]));
    default:
      return null;
  }
}

export function anyValueText(value: AnyValue | undefined): string {
  const v = value?.value;
  switch (v?.case) {
    case "stringValue":
      return v.value;
    case "boolValue":
    case "doubleValue":
    case "intValue":
      return String(v.value);
    case undefined:
      return "";
    default: {
      const json = toJson(value);
      return typeof json === "string" ? json : JSON.stringify(json);
    }
  }
}

export function attributeMap(attributes: KeyValue[]): Record<string, string> {
  return Object.fromEntries(attributes.map((kv) => [kv.key, anyValueText(kv.value)]));
}

/** `service.name` of a resource, "unknown" when absent (§4.2 step 1). */
export function serviceNameOf(resourceAttributes: KeyValue[] | undefined): string {
  const found = resourceAttributes?.find((kv) => kv.key === "service.name");
  return anyValueText(found?.value) || "unknown";
}
