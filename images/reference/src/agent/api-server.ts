// The agent's local servers (contract connectivity.md §1.5, §1.6, §2.5; observability.md §3):
// AgentService (status, services, observability queries) and AgentDebugService (profiles, uprobes)
// in Connect, gRPC and gRPC-Web, also gRPC over HTTP/1.1 with trailers as Coral's colony sends it,
// and GET /status, on TCP 9001, bound to 127.0.0.1 plus the mesh IP (or 0.0.0.0 with
// CORAL_AGENT_BIND_ALL=true); and the mesh-ping echo on UDP 9003.
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createSocket } from "node:dgram";
import { createServer, type Server, type ServerResponse } from "node:http";
import { AgentDebugService } from "../../../../proto/gen/coral/agent/v1/debug_pb.js";
import {
  AgentService,
  ConnectServiceResponseSchema,
  DisconnectServiceResponseSchema,
  ListServicesResponseSchema,
  RuntimeContextResponseSchema,
} from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import { faults } from "../common/faults.js";
import { type Drift, withDrifts } from "../common/json-drift.js";
import { log } from "../common/log.js";
import type { AgentState } from "./agent-state.js";
import { AGENT_API_PORT, MESH_PING_PORT } from "./config.js";
import { debugRoutes } from "./debug-api.js";
import { runtimeContextGoJson } from "./go-json.js";
import { meshTelemetry, statusWireguardDocument } from "./mesh-telemetry.js";
import type { Observability } from "./observability.js";
import { queryEbpfMetrics, querySystemMetrics, queryTelemetry } from "./observability-queries.js";

const REQUEST_TIMEOUT_MS = 30_000;

async function currentRuntimeContext(state: AgentState) {
  const base = state.runtimeContext;
  if (!base) return undefined;
  return create(RuntimeContextResponseSchema, { ...base, wireguard: await meshTelemetry(state) });
}

function routes(state: AgentState, obs: Observability) {
  const debug = debugRoutes(state, obs);
  return (router: ConnectRouter) => {
    debug(router);
    router.service(AgentService, {
      async getRuntimeContext() {
        return (await currentRuntimeContext(state)) ?? create(RuntimeContextResponseSchema, {});
      },
      listServices() {
        return create(ListServicesResponseSchema, { services: obs.services.list() });
      },
      async connectService(req) {
        const error = obs.services.connect(req);
        // Coral pulls the SDK's capabilities inside ConnectService (and so triggers its indexing).
        if (!error) await obs.services.sdkSettled(req.name);
        return create(ConnectServiceResponseSchema, error ? { success: false, error } : { success: true, serviceName: req.name });
      },
      disconnectService(req) {
        const error = obs.services.disconnect(req.serviceName);
        return create(DisconnectServiceResponseSchema, error ? { success: false, error } : { success: true });
      },
      queryTelemetry: (req) => queryTelemetry(obs.store, obs.telemetryEnabled, req),
      queryEbpfMetrics: (req) => queryEbpfMetrics(obs.store, obs.beylaManagerExists, req),
      querySystemMetrics: (req) => querySystemMetrics(obs.store, req),
      getFunctions: (req) => obs.functions.get(req),
    });
  };
}

function sendText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

async function statusDocument(state: AgentState, res: ServerResponse): Promise<void> {
  const ctx = await currentRuntimeContext(state);
  if (!ctx) return sendText(res, 503, "runtime context not yet detected\n");
  const body = JSON.stringify({ runtime: runtimeContextGoJson(ctx), wireguard: await statusWireguardDocument(state) });
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/**
 * Fault query-totals-as-objects: the total counter of each query answer the runner reads per layer
 * (QueryEbpfMetrics, QueryTelemetry, QuerySystemMetrics, QueryCPUProfileSamples, GetFunctions) goes
 * out as {"value": n} instead of a number or string; no check reads those totals.
 */
function totalsAsObjects(): Drift[] {
  if (!faults.has("query-totals-as-objects")) return [];
  const drift = (method: Drift["method"], field: string): Drift => ({ method, rewrite: (answer) => void (answer[field] = { value: answer[field] ?? 0 }) });
  return [
    drift(AgentService.method.queryEbpfMetrics, "totalMetrics"),
    drift(AgentService.method.queryTelemetry, "totalSpans"),
    drift(AgentService.method.querySystemMetrics, "totalMetrics"),
    drift(AgentDebugService.method.queryCPUProfileSamples, "totalSamples"),
    drift(AgentService.method.getFunctions, "totalFunctions"),
  ];
}

export async function startAgentApi(state: AgentState, obs: Observability): Promise<void> {
  const serviceRoutes = routes(state, obs);
  const adapter = connectNodeAdapter({
    routes: serviceRoutes,
    fallback(req, res) {
      if (req.method === "GET" && (req.url ?? "").split("?")[0] === "/status") {
        const response = res as unknown as ServerResponse;
        statusDocument(state, response).catch((err: unknown) => sendText(response, 500, `${String(err)}\n`));
        return;
      }
      sendText(res as unknown as ServerResponse, 404, "404 page not found\n");
    },
  });
  const handler = withDrifts(serviceRoutes, totalsAsObjects(), adapter);
  const hosts = state.config.bindAll ? ["0.0.0.0"] : ["127.0.0.1", ...(state.meshIp ? [state.meshIp] : [])];
  for (const host of hosts) {
    const server = createServer(handler);
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    await listen(server, host, AGENT_API_PORT);
  }
  // Coral says "localhost" whatever the bind address (§1.3 step 9).
  log.info("Agent API listening on localhost", { addr: `${hosts[0]}:${AGENT_API_PORT}` });
}

/** Returns every datagram unchanged: the colony's MeshPing times the echo. */
export function startMeshPingEcho(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    socket.on("message", (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
    socket.once("error", reject);
    socket.bind(MESH_PING_PORT, "0.0.0.0", () => {
      socket.off("error", reject);
      socket.on("error", (err) => log.warn("Mesh ping responder error", { error: err.message }));
      log.debug("Mesh ping responder listening", { addr: `0.0.0.0:${MESH_PING_PORT}` });
      resolve();
    });
  });
}
