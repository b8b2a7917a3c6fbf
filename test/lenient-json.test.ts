// A drifting field is one clear failure, never a cascade: the clients drop a field whose JSON shape
// is not the declared one (recording it) and decode the rest; errors and timeouts behave as before.
// No Docker: the pruning on its own, then a real client against a local HTTP server.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { fromJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ListAgentsResponseSchema } from "../proto/gen/coral/colony/v1/colony_pb.js";
import { colonyClient, type RpcRecord } from "../src/coral/clients.js";
import { pruneMalformed } from "../src/coral/lenient-json.js";

/** A ListAgents answer as Coral writes it, with the given runtime context capabilities. */
function listAgents(capabilities: unknown): Record<string, unknown> {
  return {
    agents: [
      {
        agentId: "agent-0",
        meshIpv4: "100.64.0.2",
        lastSeen: "2026-01-01T00:00:00.123Z",
        status: "healthy",
        runtimeContext: { version: "dev", runtimeType: "RUNTIME_CONTEXT_DOCKER", capabilities },
      },
      { agentId: "agent-1", meshIpv4: "100.64.0.3", status: "healthy" },
    ],
  };
}

describe("pruning malformed fields", () => {
  test("a list where an object is declared: that field goes, the answer decodes, the rest stays", () => {
    const answer = listAgents({ canConnect: true, execCapabilities: ["nsenter", "cri"], linuxCapabilities: { capNetAdmin: true } });
    assert.throws(() => fromJson(ListAgentsResponseSchema, answer as never, { ignoreUnknownFields: true }), /coral.agent.v1.ExecCapabilities/);
    const pruned = pruneMalformed(ListAgentsResponseSchema, answer);
    assert.deepEqual(pruned, [
      { path: "agents[0].runtimeContext.capabilities.execCapabilities", expected: "object (coral.agent.v1.ExecCapabilities)", seen: 'array ["nsenter","cri"]' },
    ]);
    const decoded = fromJson(ListAgentsResponseSchema, answer as never, { ignoreUnknownFields: true });
    assert.deepEqual(decoded.agents.map((a) => [a.agentId, a.meshIpv4, a.status]), [["agent-0", "100.64.0.2", "healthy"], ["agent-1", "100.64.0.3", "healthy"]]);
    assert.equal(decoded.agents[0]!.runtimeContext?.capabilities?.canConnect, true);
    assert.equal(decoded.agents[0]!.runtimeContext?.capabilities?.linuxCapabilities?.capNetAdmin, true);
    assert.equal(decoded.agents[0]!.lastSeen?.nanos, 123_000_000);
  });

  test("well-formed answers are untouched; unknown fields and unknown enum names are the decoder's to ignore", () => {
    const answer = listAgents({ execCapabilities: { mode: "EXEC_MODE_NSENTER", hasSysAdmin: true }, futureField: [1] });
    (answer.agents as Array<Record<string, unknown>>)[1]!.runtimeContext = { runtimeType: "RUNTIME_CONTEXT_SOMETHING_NEW", sidecarMode: null };
    const copy = structuredClone(answer);
    assert.deepEqual(pruneMalformed(ListAgentsResponseSchema, answer), []);
    assert.deepEqual(answer, copy);
    fromJson(ListAgentsResponseSchema, answer as never, { ignoreUnknownFields: true });
  });

  test("scalars, well-known types, list items and map entries are judged one by one", () => {
    const answer = {
      agents: [
        { agentId: 7, meshIpv4: "100.64.0.2", lastSeen: "yesterday", services: [{ name: "a", port: 80, labels: { ok: "1", bad: { nested: true } } }, "not-a-service", { name: "b", port: "eighty" }] },
        "not-an-agent",
      ],
    };
    const pruned = pruneMalformed(ListAgentsResponseSchema, answer);
    assert.deepEqual(pruned.map((p) => `${p.path}: expected ${p.expected}, saw ${p.seen}`), [
      "agents[0].agentId: expected string, saw number 7",
      "agents[0].lastSeen: expected string (RFC 3339 timestamp), saw string \"yesterday\"",
      'agents[0].services[0].labels["bad"]: expected string, saw object {"nested":true}',
      "agents[0].services[1]: expected object (coral.mesh.v1.ServiceInfo), saw string \"not-a-service\"",
      "agents[0].services[2].port: expected number (int32), saw string \"eighty\"",
      "agents[1]: expected object (coral.colony.v1.Agent), saw string \"not-an-agent\"",
    ]);
    const decoded = fromJson(ListAgentsResponseSchema, answer as never, { ignoreUnknownFields: true });
    assert.equal(decoded.agents.length, 1);
    assert.deepEqual(decoded.agents[0]!.services.map((s) => [s.name, s.port, s.labels]), [["a", 80, { ok: "1" }], ["b", 0, {}]]);
  });
});

describe("the colony client over a local server", () => {
  let server: Server;
  let url: string;
  let reply: (path: string) => { status: number; body: string } | "hang";

  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const answer = reply(req.url ?? "");
        if (answer === "hang") return;
        res.writeHead(answer.status, { "Content-Type": "application/json" });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test("ListAgents with a drifted exec_capabilities: the agents are read and the drop is recorded", async () => {
    reply = () => ({ status: 200, body: JSON.stringify(listAgents({ execCapabilities: ["nsenter"] })) });
    const records: RpcRecord[] = [];
    const res = await colonyClient(url, (r) => records.push(r)).listAgents({});
    assert.deepEqual(res.agents.map((a) => a.agentId), ["agent-0", "agent-1"]);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.procedure, "/coral.colony.v1.ColonyService/ListAgents");
    assert.equal(records[0]!.code, "ok");
    assert.deepEqual(records[0]!.pruned, [
      { path: "agents[0].runtimeContext.capabilities.execCapabilities", expected: "object (coral.agent.v1.ExecCapabilities)", seen: 'array ["nsenter"]' },
    ]);
  });

  test("a clean answer records no pruning", async () => {
    reply = () => ({ status: 200, body: JSON.stringify(listAgents({ execCapabilities: { mode: "EXEC_MODE_NONE" } })) });
    const records: RpcRecord[] = [];
    await colonyClient(url, (r) => records.push(r)).listAgents({});
    assert.equal(records[0]!.pruned, undefined);
  });

  test("Connect errors, non-JSON answers and timeouts are what they were", async () => {
    reply = () => ({ status: 404, body: JSON.stringify({ code: "not_found", message: "session not found: x" }) });
    const records: RpcRecord[] = [];
    const client = colonyClient(url, (r) => records.push(r));
    await assert.rejects(client.listAgents({}), (e: unknown) => ConnectError.from(e).code === Code.NotFound && /session not found: x/.test(String(e)));
    reply = () => ({ status: 200, body: "not json" });
    await assert.rejects(client.listAgents({}), (e: unknown) => ConnectError.from(e).code === Code.InvalidArgument || ConnectError.from(e).code === Code.Internal);
    reply = () => "hang";
    const started = Date.now();
    await assert.rejects(client.listAgents({}, { timeoutMs: 300 }), (e: unknown) => ConnectError.from(e).code === Code.DeadlineExceeded);
    assert.ok(Date.now() - started < 5_000);
    assert.deepEqual(records.map((r) => r.code), [String(Code.NotFound), records[1]!.code, String(Code.DeadlineExceeded)]);
  });
});
