// The colony's two listeners (contract §1.5, §2.1): plain HTTP/1.1 Connect on :9000 with no auth,
// and the TLS 1.3 public endpoint (ALPN h2 + http/1.1) with Bearer-token auth except for
// RequestCertificate, /health, /duckdb* and /agent/*.
import { createContextValues, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { ColonyService } from "../../../../proto/gen/coral/colony/v1/colony_pb.js";
import { ColonyDebugService } from "../../../../proto/gen/coral/colony/v1/debug_pb.js";
import { MeshService } from "../../../../proto/gen/coral/mesh/v1/auth_pb.js";
import { faults } from "../common/faults.js";
import { type Drift, withDrifts } from "../common/json-drift.js";
import { log } from "../common/log.js";
import type { ApiTokens } from "./api-tokens.js";
import { colonyServiceImpl } from "./colony-service.js";
import { kRawRequest, type ColonyContext } from "./context.js";
import { debugServiceImpl } from "./debug-service.js";
import { meshServiceImpl } from "./mesh-service.js";
import { statusDocument } from "./status-document.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

/** Go's ServeMux answer to an unrouted path, e.g. BootstrapAndRegister (§2.1): no body at all. */
function bareNotFound(_req: Req, res: Res): void {
  res.writeHead(404, { "Content-Length": "0" });
  res.end();
}

function plain(res: Res, status: number, body: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

async function sendStatus(ctx: ColonyContext, res: Res): Promise<void> {
  const body = JSON.stringify(await statusDocument(ctx)) + "\n";
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

function sendDatabases(ctx: ColonyContext, res: Res): void {
  const body = JSON.stringify({ databases: [`${ctx.colonyId}.duckdb`] }) + "\n";
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

function adapter(routes: (router: ConnectRouter) => void) {
  return connectNodeAdapter({
    routes,
    fallback: bareNotFound as never,
    contextValues: (req) => createContextValues().set(kRawRequest, req as IncomingMessage),
  });
}

/**
 * Fault exec-capabilities-list: ListAgents sends every agent's runtimeContext.capabilities
 * .execCapabilities as a list of strings (the shape once wrongly declared), a field no check reads.
 */
const execCapabilitiesAsList: Drift = {
  method: ColonyService.method.listAgents,
  rewrite(answer) {
    for (const agent of (answer.agents ?? []) as Array<{ runtimeContext?: { capabilities?: Record<string, unknown> } }>) {
      agent.runtimeContext ??= {};
      agent.runtimeContext.capabilities ??= {};
      agent.runtimeContext.capabilities.execCapabilities = ["nsenter"];
    }
  },
};

export function startMeshServer(ctx: ColonyContext): Promise<void> {
  const connect = adapter((router) => {
    router.service(MeshService, meshServiceImpl(ctx));
    router.service(ColonyService, colonyServiceImpl(ctx));
    // ColonyDebugService is served on :9000 only, not on the public endpoint (observability §3.5).
    router.service(ColonyDebugService, debugServiceImpl(ctx.db, ctx.registry));
  });
  const drifts = faults.has("exec-capabilities-list") ? [execCapabilitiesAsList] : [];
  const server = createServer(
    withDrifts((router) => router.service(ColonyService, colonyServiceImpl(ctx)), drifts, (req, res) => {
      const path = (req.url ?? "").split("?")[0];
      if (req.method === "GET" && path === "/status") return void sendStatus(ctx, res).catch(() => plain(res, 500, "internal error\n"));
      if (req.method === "GET" && (path === "/duckdb" || path === "/duckdb/")) return sendDatabases(ctx, res);
      connect(req, res);
    }),
  );
  const port = ctx.cfg.services.connect_port;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, () => {
      log.info("Mesh and Colony services listening", { port });
      resolve();
    });
  });
}

const UNAUTHENTICATED_PATHS = [/^\/coral\.colony\.v1\.ColonyService\/RequestCertificate$/, /^\/health$/, /^\/duckdb/, /^\/agent\//];

export function startPublicEndpoint(ctx: ColonyContext, tls: { chainPem: string; keyPem: string }, tokens: ApiTokens): Promise<void> {
  const connect = adapter((router) => router.service(ColonyService, colonyServiceImpl(ctx)));
  const pe = ctx.cfg.public_endpoint;
  const server = createSecureServer({ allowHTTP1: true, cert: tls.chainPem, key: tls.keyPem, minVersion: "TLSv1.3" }, (req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    if (path === "/health") return plain(res, 200, "OK\n");
    if (!UNAUTHENTICATED_PATHS.some((re) => re.test(path))) {
      const header = String(req.headers.authorization ?? "");
      if (!header) return plain(res, 401, "Unauthorized: missing Authorization header\n");
      const token = /^Bearer\s+(.+)$/i.exec(header)?.[1];
      if (!token || !tokens.valid(token)) return plain(res, 401, "Unauthorized: invalid token\n");
    }
    if (req.method === "GET" && path === "/status") return void sendStatus(ctx, res).catch(() => plain(res, 500, "internal error\n"));
    if (req.method === "GET" && (path === "/duckdb" || path === "/duckdb/")) return sendDatabases(ctx, res);
    connect(req as never, res as never);
  });
  const url = `https://${pe.host}:${pe.port}`;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(pe.port, pe.host, () => {
      log.info("Public endpoint server started", { url });
      resolve();
    });
  });
}
