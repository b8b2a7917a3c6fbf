// Reading only what is well-formed: before a Connect JSON answer is decoded, every field whose value
// does not have the JSON shape the project declares is removed (and reported), so one drifting field
// costs that field, never the whole answer. Leaves (scalars, enums, well-known types) are judged by
// protobuf-es's own fromJson on a one-field object, so what remains is exactly what it can read;
// messages, lists and maps are followed.
import { type DescField, type DescMessage, type JsonValue, ScalarType, fromJson } from "@bufbuild/protobuf";
import { describeJson, describeShape, describeValueType, entryPath, fieldPath, isPlainObject, itemPath, shapeOfDescField } from "./wire-shape.js";

export interface PrunedField {
  path: string; // "agents[0].runtimeContext.capabilities.execCapabilities"
  expected: string; // the declared JSON shape
  seen: string; // what came instead, excerpted
}

/** Removes malformed fields from `json` (in place); returns what was removed. */
export function pruneMalformed(desc: DescMessage, json: unknown): PrunedField[] {
  const pruned: PrunedField[] = [];
  // A top level that is not an object is left to Connect, which fails the call as it should.
  if (isPlainObject(json)) pruneMessage(desc, json, "", pruned);
  return pruned;
}

const isWellKnown = (message: DescMessage) => message.typeName.startsWith("google.protobuf.");

function pruneMessage(desc: DescMessage, json: Record<string, unknown>, path: string, out: PrunedField[]): void {
  for (const [key, value] of Object.entries(json)) {
    const field = desc.fields.find((f) => f.jsonName === key || f.name === key);
    // Unknown fields are ignored by the decoder (ignoreUnknownFields); null reads as unset.
    if (!field || value === null) continue;
    const at = fieldPath(path, key);
    if (!keepField(desc, field, key, json, value, at, out)) {
      delete json[key];
      out.push({ path: at, expected: describeShape(shapeOfDescField(field)), seen: describeJson(value) });
    }
  }
}

/** False when the whole field must go; prunes inside lists, maps and messages it keeps. */
function keepField(desc: DescMessage, field: DescField, key: string, json: Record<string, unknown>, value: unknown, path: string, out: PrunedField[]): boolean {
  const itemShape = describeValueType(shapeOfDescField(field).value);
  if (field.fieldKind === "message" && !isWellKnown(field.message)) {
    if (!isPlainObject(value)) return false;
    pruneMessage(field.message, value, path, out);
    return true;
  }
  if (field.fieldKind === "list") {
    if (!Array.isArray(value)) return false;
    const message = field.listKind === "message" && !isWellKnown(field.message) ? field.message : undefined;
    json[key] = value.filter((item, i) => {
      const keep = message ? isPlainObject(item) : readable(desc, key, [item]);
      if (keep && message) pruneMessage(message, item as Record<string, unknown>, itemPath(path, i), out);
      if (!keep) out.push({ path: itemPath(path, i), expected: itemShape, seen: describeJson(item) });
      return keep;
    });
    return true;
  }
  if (field.fieldKind === "map") {
    if (!isPlainObject(value)) return false;
    const message = field.mapKind === "message" && !isWellKnown(field.message) ? field.message : undefined;
    for (const [entryKey, item] of Object.entries(value)) {
      const keep = message ? isPlainObject(item) : readable(desc, key, { [entryKey]: item });
      if (keep && message) pruneMessage(message, item as Record<string, unknown>, entryPath(path, entryKey), out);
      if (!keep) {
        delete value[entryKey];
        out.push({ path: entryPath(path, entryKey), expected: itemShape, seen: describeJson(item) });
      }
    }
    return true;
  }
  // The common cases need no parse.
  if (field.fieldKind === "scalar" && field.scalar === ScalarType.STRING && typeof value === "string") return true;
  if (field.fieldKind === "scalar" && field.scalar === ScalarType.BOOL && typeof value === "boolean") return true;
  return readable(desc, key, value);
}

/** Can protobuf-es read this one field of `desc` from this value? */
function readable(desc: DescMessage, key: string, value: unknown): boolean {
  try {
    fromJson(desc, { [key]: value as JsonValue }, { ignoreUnknownFields: true });
    return true;
  } catch {
    return false;
  }
}
