// The Worker's hand-written HTTP router (contract connectivity.md §2.1, §2.2): POST
// /coral.discovery.v1.DiscoveryService/<Method> with Connect JSON only, plus GET /health, /stats
// and /.well-known/jwks.json. Errors use the Connect JSON shape with the matching HTTP status.
import { BodyTooLarge, readBody } from "../common/http-body.js";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { DiscoveryConfig } from "./config.js";
import { RpcError, type Json, type RpcHandler } from "./handlers.js";
import { jwks } from "./signing.js";

const RPC_PREFIX = "/coral.discovery.v1.DiscoveryService/";
const MAX_BODY_BYTES = 1 << 20;
const REQUEST_TIMEOUT_MS = 15_000;

const httpStatusOf: Record<RpcError["code"], number> = {
  invalid_argument: 400,
  not_found: 404,
  already_exists: 409,
  unimplemented: 501,
  internal: 500,
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, err: RpcError): void {
  sendJson(res, httpStatusOf[err.code], { code: err.code, message: err.message });
}

function clientIpOf(req: IncomingMessage): string {
  const header = req.headers["cf-connecting-ip"];
  if (typeof header === "string" && header) return header;
  return (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
}

export function startServer(config: DiscoveryConfig, handlers: Record<string, RpcHandler>): Promise<Server> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://discovery");
    try {
      if (req.method === "GET" && url.pathname === "/health") {
        return sendJson(res, 200, { status: "ok", version: config.serviceVersion });
      }
      if (req.method === "GET" && url.pathname === "/stats") {
        // The Worker's metrics object never counts anything (which is why Health has no
        // registeredColonies, contract §1.6): its stats are always empty.
        return sendJson(res, 200, { operationsLastHour: {}, timestamp: Date.now() });
      }
      if (req.method === "GET" && url.pathname === "/.well-known/jwks.json") {
        return sendJson(res, 200, jwks());
      }
      if (req.method === "POST" && url.pathname.startsWith(RPC_PREFIX)) {
        const method = url.pathname.slice(RPC_PREFIX.length);
        const contentType = String(req.headers["content-type"] ?? "");
        const text = await readBody(req, MAX_BODY_BYTES).then(
          (body) => body.toString("utf8"),
          (err: unknown) => {
            throw err instanceof BodyTooLarge ? new RpcError("invalid_argument", "request body too large") : err;
          },
        );
        if (contentType.startsWith("application/proto")) {
          throw new RpcError("invalid_argument", "Only JSON encoding is supported");
        }
        const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
        if (!handler) throw new RpcError("unimplemented", `Unknown RPC: ${method}`);
        let body: Json;
        try {
          const parsed: unknown = text.trim() ? JSON.parse(text) : {};
          body = parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Json) : {};
        } catch {
          throw new RpcError("invalid_argument", "Invalid JSON in request body");
        }
        return sendJson(res, 200, handler(body, { clientIp: clientIpOf(req) }));
      }
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("Not Found");
    } catch (err) {
      if (err instanceof RpcError) return sendError(res, err);
      sendError(res, new RpcError("internal", err instanceof Error ? err.message : String(err)));
    }
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.ip, () => resolve(server));
  });
}
