// proto/ against Coral's wire schema (proto/wire/coral-v0.3.0.tsv): every message the project
// declares (generated descriptors, the code the clients run) holds against the message Coral has at
// that place — same number, label and JSON shape for every field, following message-typed fields;
// no field, enum value or RPC Coral lacks. Plus the schema parser itself, and proof that the
// comparison fails, naming the field, on a planted mismatch.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, test } from "node:test";
import { createRegistry, type DescFile } from "@bufbuild/protobuf";
import { coralWireSchema, parseWireSchema, schemaFromRegistry } from "../src/coral/wire-schema.js";
import { compareSchemas } from "./support/proto-conformance.js";

const GEN_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "proto", "gen");

/** Every generated file of proto/ (found on disk, so a new .proto is held without listing it). */
async function projectFiles(): Promise<DescFile[]> {
  const paths = (readdirSync(GEN_DIR, { recursive: true }) as string[]).filter((p) => p.endsWith("_pb.js"));
  const files: DescFile[] = [];
  for (const path of paths.sort()) {
    const module = (await import(pathToFileURL(join(GEN_DIR, path)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) if (name.startsWith("file_")) files.push(value as DescFile);
  }
  return files;
}

const inCoralPackages = (name: string) => name.startsWith("coral.");

describe("proto/ against Coral v0.3.0's wire schema", () => {
  test("the schema data parses: RPCs, messages, enums, with value types resolved", () => {
    const coral = coralWireSchema();
    assert.ok(coral.rpcs.size >= 80 && coral.messages.size >= 200 && coral.enums.size >= 10, `${coral.rpcs.size} rpcs, ${coral.messages.size} messages, ${coral.enums.size} enums`);
    assert.deepEqual(coral.rpcs.get("coral.colony.v1.ColonyService/ListAgents"), {
      path: "coral.colony.v1.ColonyService/ListAgents",
      input: "coral.colony.v1.ListAgentsRequest",
      output: "coral.colony.v1.ListAgentsResponse",
      streaming: false,
    });
    const caps = coral.messages.get("coral.agent.v1.Capabilities")!.fields.find((f) => f.name === "exec_capabilities");
    assert.deepEqual(caps, { name: "exec_capabilities", jsonName: "execCapabilities", number: 5, label: "", value: { kind: "message", typeName: "coral.agent.v1.ExecCapabilities" } });
    const collectors = coral.messages.get("coral.agent.v1.EbpfCapabilities")!.fields.find((f) => f.name === "available_collectors");
    assert.deepEqual(collectors?.value, { kind: "enum", typeName: "coral.agent.v1.EbpfCollectorKind" });
    assert.equal(collectors?.label, "repeated");
    assert.equal(coral.enums.get("coral.agent.v1.ExecMode")?.values.get("EXEC_MODE_NSENTER"), 3);
    // Every message a field names is in the data, so nothing is followed into the void.
    for (const message of coral.messages.values()) {
      for (const field of message.fields) {
        if (field.value.kind === "message") assert.ok(coral.messages.has(field.value.typeName), `${message.typeName}.${field.name} names ${field.value.typeName}`);
        if (field.value.kind === "enum") assert.ok(coral.enums.has(field.value.typeName), `${message.typeName}.${field.name} names ${field.value.typeName}`);
      }
    }
  });

  test("every message, enum and RPC of proto/ holds: 0 differences", async () => {
    const files = await projectFiles();
    assert.ok(files.length >= 8, `generated files found under ${GEN_DIR}: ${files.length}`);
    const project = schemaFromRegistry(createRegistry(...files), "project");
    const differences = compareSchemas(project, coralWireSchema(), inCoralPackages);
    assert.deepEqual(differences.map((d) => d.text), []);
  });

  test("a planted mismatch fails naming the field, its path and both shapes", () => {
    const coral = parseWireSchema(
      [
        "rpc\tx.v1.Colony/List\t\t\t\tListRequest -> ListResponse\t",
        "field\tx.v1.ListRequest\t\t\t\t\t(empty message)",
        "field\tx.v1.ListResponse\tagents\t1\trepeated\tAgent\tarray of object(x.v1.Agent)",
        "field\tx.v1.Agent\tid\t1\t\tstring\tstring",
        "field\tx.v1.Agent\tcaps\t2\t\tCaps\tobject(x.v1.Caps)",
        "field\tx.v1.Agent\tseen\t3\t\tint64\tstring",
        "field\tx.v1.Caps\tmode\t1\t\tMode\tstring(enum x.v1.Mode)",
        "field\tx.v1.Caps\tlevel\t2\t\tint32\tnumber",
        "enum\tx.v1.Mode\tMODE_NONE\t0\t\t\t",
        "enum\tx.v1.Mode\tMODE_NSENTER\t1\t\t\t",
      ].join("\n"),
      "Coral",
    );
    // The project names its types differently (pairing goes through the RPC) and drifts five ways.
    const project = parseWireSchema(
      [
        "rpc\tx.v1.Colony/List\t\t\t\tListRequest -> AgentList\t",
        "rpc\tx.v1.Colony/Extra\t\t\t\tListRequest -> AgentList\t",
        "field\tx.v1.ListRequest\t\t\t\t\t(empty message)",
        "field\tx.v1.AgentList\tagents\t1\trepeated\tMyAgent\tarray of object(x.v1.MyAgent)",
        "field\tx.v1.MyAgent\tid\t1\t\tstring\tstring",
        "field\tx.v1.MyAgent\tcaps\t2\t\tMyCaps\tobject(x.v1.MyCaps)",
        "field\tx.v1.MyAgent\tseen\t3\t\tint32\tnumber",
        "field\tx.v1.MyAgent\tnickname\t4\t\tstring\tstring",
        "field\tx.v1.MyCaps\tmode\t1\t\tMyMode\tstring(enum x.v1.MyMode)",
        "field\tx.v1.MyCaps\tlevel\t3\toptional\tint32\tnumber",
        "field\tx.v1.Lonely\tname\t1\t\tstring\tstring",
        "enum\tx.v1.MyMode\tMODE_NONE\t0\t\t\t",
        "enum\tx.v1.MyMode\tMODE_CRI\t1\t\t\t",
      ].join("\n"),
      "project",
    );
    const texts = compareSchemas(project, coral, (name) => name.startsWith("x.")).map((d) => `${d.kind}: ${d.text}`);
    assert.deepEqual(texts, [
      "rpc: RPC x.v1.Colony/Extra is not in Coral",
      "shape: x.v1.Colony/List answer.agents.seen: project number (int32), Coral string (int64)",
      "missing: x.v1.Colony/List answer.agents.nickname (= 4) is not in Coral x.v1.Agent",
      "label: x.v1.Colony/List answer.agents.caps.level: project optional, Coral singular",
      "number: x.v1.Colony/List answer.agents.caps.level: project = 3, Coral = 2",
      "missing: x.v1.Colony/List answer.agents.caps.mode: enum value MODE_CRI (= 1) is not in Coral x.v1.Mode; it has MODE_NSENTER = 1",
      "unpaired: x.v1.Lonely pairs with no type of Coral (not by name, RPC or field)",
    ]);
  });

  test("a list declared where Coral has an object is a shape difference (the exec_capabilities drift)", () => {
    const coral = parseWireSchema("field\tx.v1.Caps\texec_capabilities\t5\t\tExecCapabilities\tobject(x.v1.ExecCapabilities)\nfield\tx.v1.ExecCapabilities\tmode\t1\t\tstring\tstring", "Coral");
    const project = parseWireSchema("field\tx.v1.Caps\texec_capabilities\t5\trepeated\tstring\tarray of string", "project");
    assert.deepEqual(compareSchemas(project, coral, () => false).map((d) => d.text), [
      "x.v1.Caps.exec_capabilities: project array of string, Coral object (x.v1.ExecCapabilities)",
      "x.v1.Caps.exec_capabilities: project repeated, Coral singular",
    ]);
  });

  test("malformed schema lines are refused with their line number", () => {
    assert.throws(() => parseWireSchema("field\tx.v1.A\tb\t1\t\tMystery\tsomething", "t"), /t line 1: cannot read the type of Mystery/);
    assert.throws(() => parseWireSchema("rpc\tx.v1.S/M\t\t\t\tno arrow\t", "t"), /t line 1: rpc x.v1.S\/M has no "Input -> Output" types/);
    assert.throws(() => parseWireSchema("thing\tx", "t"), /unknown kind "thing"/);
  });
});
