// Holds the project's proto/ against Coral's wire schema, message by message: messages pair by
// full name and through RPC request/answer types, then through every message-typed field into the
// types each side names (names may differ; numbers, labels and JSON shapes may not). A field,
// enum value or RPC Coral does not have is a difference, and so is a project message that pairs
// with nothing.
import type { WireField, WireSchema } from "../../src/coral/wire-schema.js";
import { describeShape, type FieldShape } from "../../src/coral/wire-shape.js";

export interface Difference {
  kind: "missing" | "shape" | "label" | "number" | "rpc" | "unpaired";
  text: string;
}

/** The shape with the type names taken out: what must agree whatever each side calls its types. */
function anonymous(shape: FieldShape): string {
  const value = shape.value.kind === "message" || shape.value.kind === "enum" ? { kind: shape.value.kind, typeName: "…" } : shape.value;
  return describeShape({ ...shape, label: shape.label === "repeated" || shape.label === "map" ? shape.label : "", value });
}

const labelText = (f: WireField) => f.label || "singular";

export function compareSchemas(project: WireSchema, coral: WireSchema, inScope: (typeName: string) => boolean): Difference[] {
  const out: Difference[] = [];
  const messagePairs: Array<[string, string, string]> = [];
  const enumPairs: Array<[string, string, string]> = [];
  for (const name of [...project.messages.keys()].sort()) if (coral.messages.has(name)) messagePairs.push([name, name, name]);
  for (const name of [...project.enums.keys()].sort()) if (coral.enums.has(name)) enumPairs.push([name, name, name]);
  for (const rpc of [...project.rpcs.values()].sort((a, b) => a.path.localeCompare(b.path))) {
    if (!inScope(rpc.path)) continue;
    const theirs = coral.rpcs.get(rpc.path);
    if (!theirs) {
      out.push({ kind: "rpc", text: `RPC ${rpc.path} is not in ${coral.source}` });
      continue;
    }
    if (theirs.streaming !== rpc.streaming) out.push({ kind: "rpc", text: `RPC ${rpc.path}: project ${rpc.streaming ? "streaming" : "unary"}, ${coral.source} ${theirs.streaming ? "streaming" : "unary"}` });
    messagePairs.push([rpc.input, theirs.input, `${rpc.path} request`], [rpc.output, theirs.output, `${rpc.path} answer`]);
  }

  const paired = new Set<string>();
  const seen = new Set<string>();
  while (messagePairs.length) {
    const [mine, theirs, path] = messagePairs.shift()!;
    if (seen.has(`${mine}|${theirs}`)) continue;
    seen.add(`${mine}|${theirs}`);
    paired.add(mine);
    const ours = project.messages.get(mine);
    const coralMessage = coral.messages.get(theirs);
    if (!ours || !coralMessage) {
      out.push({ kind: "missing", text: `${path}: ${!ours ? `project has no message ${mine}` : `${coral.source} has no message ${theirs}`}` });
      continue;
    }
    for (const field of [...ours.fields].sort((a, b) => a.number - b.number)) {
      const where = `${path}.${field.name}`;
      const match = coralMessage.fields.find((f) => f.name === field.name);
      if (!match) {
        const sameNumber = coralMessage.fields.find((f) => f.number === field.number);
        out.push({ kind: "missing", text: `${where} (= ${field.number}) is not in ${coral.source} ${theirs}${sameNumber ? `; it has ${sameNumber.name} = ${field.number}` : ""}` });
        continue;
      }
      const shapesAgree = anonymous(field) === anonymous(match);
      if (!shapesAgree) out.push({ kind: "shape", text: `${where}: project ${describeShape(field)}, ${coral.source} ${describeShape(match)}` });
      if (field.label !== match.label) out.push({ kind: "label", text: `${where}: project ${labelText(field)}, ${coral.source} ${labelText(match)}` });
      if (field.number !== match.number) out.push({ kind: "number", text: `${where}: project = ${field.number}, ${coral.source} = ${match.number}` });
      if (!shapesAgree) continue;
      if (field.value.kind === "message" && match.value.kind === "message") messagePairs.push([field.value.typeName, match.value.typeName, where]);
      if (field.value.kind === "enum" && match.value.kind === "enum") enumPairs.push([field.value.typeName, match.value.typeName, where]);
    }
  }

  const enumsSeen = new Set<string>();
  for (const [mine, theirs, path] of enumPairs) {
    if (enumsSeen.has(`${mine}|${theirs}`)) continue;
    enumsSeen.add(`${mine}|${theirs}`);
    paired.add(mine);
    const ours = project.enums.get(mine)!;
    const coralEnum = coral.enums.get(theirs);
    if (!coralEnum) {
      out.push({ kind: "missing", text: `${path}: ${coral.source} has no enum ${theirs}` });
      continue;
    }
    for (const [name, number] of ours.values) {
      const theirNumber = coralEnum.values.get(name);
      if (theirNumber === undefined) {
        const sameNumber = [...coralEnum.values].find(([, n]) => n === number)?.[0];
        out.push({ kind: "missing", text: `${path}: enum value ${name} (= ${number}) is not in ${coral.source} ${theirs}${sameNumber ? `; it has ${sameNumber} = ${number}` : ""}` });
      } else if (theirNumber !== number) {
        out.push({ kind: "number", text: `${path}: enum value ${name}: project = ${number}, ${coral.source} = ${theirNumber}` });
      }
    }
  }

  for (const name of [...project.messages.keys(), ...project.enums.keys()].sort()) {
    if (inScope(name) && !paired.has(name)) out.push({ kind: "unpaired", text: `${name} pairs with no type of ${coral.source} (not by name, RPC or field)` });
  }
  return out;
}
