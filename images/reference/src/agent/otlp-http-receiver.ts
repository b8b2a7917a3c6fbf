// OTLP/HTTP receiver on :4318 (contract observability.md §2, §10 #17): POST /v1/traces and
// /v1/metrics with a binary protobuf body only. JSON, gzip or garbage → 400 `Failed to parse OTLP
// request`; other methods → 405; any other path (also /v1/logs) → Go's `404 page not found`.
import { BodyTooLarge, readBody } from "../common/http-body.js";
import { create, fromBinary, fromJsonString, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { ExportMetricsServiceRequestSchema } from "../../../../proto/gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.js";
import { ExportTraceServiceRequestSchema } from "../../../../proto/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js";
import { faults } from "../common/faults.js";
import { log } from "../common/log.js";
import type { OtlpIngest } from "./otlp-ingest.js";
import { splitEndpoint } from "./observability-config.js";

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;


/** Go's http.Error: text/plain, nosniff, message plus newline. */
function httpError(res: ServerResponse, status: number, message: string): void {
  const body = `${message}\n`;
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "x-content-type-options": "nosniff",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** Binary protobuf only; the `otlp-http-accepts-json` fault switch also takes OTLP/JSON. */
function decode<T extends DescMessage>(schema: T, body: Buffer): MessageShape<T> | undefined {
  try {
    return fromBinary(schema, body);
  } catch {
    if (!faults.has("otlp-http-accepts-json") || body[0] !== 0x7b) return undefined;
    try {
      return fromJsonString(schema, body.toString("utf8"), { ignoreUnknownFields: true });
    } catch {
      return create(schema); // accepted with 200 all the same: the broken promise is the 400
    }
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, ingest: OtlpIngest): Promise<void> {
  const path = (req.url ?? "").split("?")[0];
  if (path !== "/v1/traces" && path !== "/v1/metrics") return httpError(res, 404, "404 page not found");
  if (req.method !== "POST") return httpError(res, 405, "Method not allowed");
  let body: Buffer;
  try {
    body = await readBody(req, MAX_BODY_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLarge) return httpError(res, 400, "Failed to parse OTLP request");
    throw err;
  }
  if (path === "/v1/traces") {
    const request = decode(ExportTraceServiceRequestSchema, body);
    if (!request) return httpError(res, 400, "Failed to parse OTLP request");
    ingest.exportTraces(request);
  } else {
    const request = decode(ExportMetricsServiceRequestSchema, body);
    if (!request) return httpError(res, 400, "Failed to parse OTLP request");
    ingest.exportMetrics(request);
  }
  res.writeHead(200, { "content-type": "application/x-protobuf", "content-length": 0 });
  res.end();
}

export async function startOtlpHttpReceiver(endpoint: string, ingest: OtlpIngest): Promise<Server> {
  const server = createServer((req, res) => {
    handle(req, res, ingest).catch((err: unknown) => {
      log.warn("OTLP HTTP request failed", { error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) httpError(res, 500, "Internal server error");
      else res.destroy();
    });
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  const { host, port } = splitEndpoint(endpoint);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}
