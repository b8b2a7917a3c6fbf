// Layer 1: OTLP ingestion at the agent and aggregation at the colony (contract observability.md
// §2, §3.2, §3.4, §4.2, §5.2, §10). Fixture apps run in an agent's namespaces and export to it;
// every count is compared with what the runner made the app send. The receivers' edges are probed by
// the runner itself, over the agent's published ports.
import { randomBytes } from "node:crypto";
import type { TelemetrySpan } from "../proto/gen/coral/agent/v1/agent_pb.js";
import { postRaw } from "../src/coral/clients.js";
import { type OtlpRequest, grpcStatus as status, otlpGrpcProbe } from "../src/coral/otlp-grpc.js";
import type { AppNode } from "../src/coral/apps.js";
import type { AgentNode } from "../src/coral/nodes.js";
import { startOtelApp, waitAgentsHealthy, type Check, type Module, type T } from "./support.js";
import { PARTS } from "../src/coral/parts.js";

/** The apps run next to the first run agent: checks watch run agents, none disturbs them. */
const NEXT_TO_AGENT = { observes: [PARTS.agents] };

/** Each service gets its own port: several apps share one agent's network namespace. */
const APP_PORTS: Record<string, number> = { "otel-grpc": 8081, "otel-http": 8082, "otel-latency": 8083, "otel-sampled": 8084 };

/** The otel-app fixture next to an agent, exporting over one protocol under its own service name. */
function otelApp(t: T, agent: AgentNode, service: string, protocol: "grpc" | "http"): Promise<AppNode> {
  return startOtelApp(t, agent, service, protocol, APP_PORTS[service]!);
}

async function spansOf(t: T, agent: AgentNode, service: string): Promise<TelemetrySpan[]> {
  const api = await agent.api();
  return (await api.queryTelemetry({ serviceNames: [service], maxRecords: 50_000 }, { signal: t.signal })).spans;
}

const serverSpans = (spans: TelemetrySpan[], route: string) => spans.filter((s) => s.spanKind === "SERVER" && s.httpRoute === route);

function countByRoute(spans: TelemetrySpan[]): string {
  const counts = new Map<string, number>();
  for (const s of spans) counts.set(`${s.spanKind} ${s.httpRoute || "-"}`, (counts.get(`${s.spanKind} ${s.httpRoute || "-"}`) ?? 0) + 1);
  return [...counts].map(([k, v]) => `${k}: ${v}`).join(", ") || "no spans";
}

/** Drives known traffic and checks that the agent stored exactly those spans, well formed. */
async function ingestion(t: T, protocol: "grpc" | "http") {
  const service = `otel-${protocol}`;
  const agent = t.env.agents[0]!;
  await waitAgentsHealthy(t, [agent], `${agent.agentId} healthy before its app starts`, 60_000);
  const app = await otelApp(t, agent, service, protocol);
  const ok = await app.drive("/api/users", 10);
  const failed = await app.drive("/fail", 3);
  t.observe("sent", { "/api/users": ok, "/fail": failed });
  const spans = await t.waitFor(
    `${agent.agentId} to hold 10 /api/users and 3 /fail SERVER spans of ${service}`,
    () => spansOf(t, agent, service),
    (s) => serverSpans(s, "/api/users").length >= 10 && serverSpans(s, "/fail").length >= 3,
    { timeoutMs: 20_000, intervalMs: 500 },
  );
  t.observe("spans by kind and route", countByRoute(spans));
  const users = serverSpans(spans, "/api/users");
  const fails = serverSpans(spans, "/fail");
  t.verify(users.length === 10, `exactly 10 /api/users spans for 10 requests (sample rate 1.0)`, users.length);
  t.verify(fails.length === 3, `exactly 3 /fail spans for 3 requests`, fails.length);
  const all = [...users, ...fails];
  t.verify(all.every((s) => /^[0-9a-f]{32}$/.test(s.traceId) && /^[0-9a-f]{16}$/.test(s.spanId)), "trace ids are 32 and span ids 16 lowercase hex digits", all.map((s) => [s.traceId, s.spanId]).slice(0, 3));
  t.verify(all.every((s) => s.serviceName === service), `every span carries service name ${service}`, [...new Set(all.map((s) => s.serviceName))]);
  t.verify(
    all.every((s) => s.httpMethod === "GET" && s.attributes["http.method"] === "GET" && s.attributes["http.route"] === s.httpRoute),
    "method and route come from the old semantic-convention attributes the app sent",
    all.slice(0, 2).map((s) => ({ method: s.httpMethod, route: s.httpRoute, attributes: s.attributes })),
  );
  t.verify(fails.every((s) => s.isError && s.httpStatus === 500), "the failed requests are errors with status 500", fails.map((s) => ({ isError: s.isError, status: s.httpStatus })));
  t.verify(users.every((s) => !s.isError), "no successful request is marked as an error", users.filter((s) => s.isError).length);
}

const grpcIngestion: Check = {
  id: "otlp/grpc-ingestion",
  title: "spans exported over OTLP/gRPC reach the agent complete and well formed",
  touches: NEXT_TO_AGENT,
  timeoutMs: 90_000,
  run: (t) => ingestion(t, "grpc"),
};

const httpIngestion: Check = {
  id: "otlp/http-ingestion",
  title: "spans exported over OTLP/HTTP (protobuf) reach the agent complete and well formed",
  touches: NEXT_TO_AGENT,
  timeoutMs: 90_000,
  run: (t) => ingestion(t, "http"),
};

/** The service name of the runner's own probe exports. */
const PROBE_SERVICE = "coral-e2e-probe";

/**
 * `n` SERVER spans of 600 ms from the probe service: over the 500 ms threshold, so every one is kept
 * whatever the agent's sample rate (§4.2 step 2). Returns the request and the ids the agent must list.
 */
function probeSpans(n: number): { request: OtlpRequest; ids: Array<{ traceId: string; spanId: string }> } {
  const start = BigInt(Date.now() - 1_000) * 1_000_000n;
  const spans = Array.from({ length: n }, () => ({ traceId: randomBytes(16), spanId: randomBytes(8) }));
  const request = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: PROBE_SERVICE } }] },
        scopeSpans: [
          {
            scope: { name: "coral-e2e" },
            spans: spans.map(({ traceId, spanId }) => ({
              traceId,
              spanId,
              name: "GET /probe",
              kind: "SPAN_KIND_SERVER",
              startTimeUnixNano: String(start),
              endTimeUnixNano: String(start + 600_000_000n),
              attributes: [
                { key: "http.method", value: { stringValue: "GET" } },
                { key: "http.route", value: { stringValue: "/probe" } },
              ],
            })),
          },
        ],
      },
    ],
  };
  return { request, ids: spans.map((s) => ({ traceId: s.traceId.toString("hex"), spanId: s.spanId.toString("hex") })) };
}

/** One log record, for a receiver that has no LogsService. */
const PROBE_LOG: OtlpRequest = {
  resourceLogs: [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: PROBE_SERVICE } }] },
      scopeLogs: [{ logRecords: [{ timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), severityText: "INFO", body: { stringValue: "probe" } }] }],
    },
  ],
};

/** Field 1 (resource_spans) announces 5 bytes and carries 1: no protobuf decoder accepts it. */
const MALFORMED_EXPORT = Buffer.from([0x0a, 0x05, 0x01]);

const receiverEdges: Check = {
  id: "otlp/receiver-edges",
  title: "the OTLP receivers refuse JSON bodies, logs, gzip and malformed frames, and keep serving",
  touches: NEXT_TO_AGENT,
  timeoutMs: 60_000,
  async run(t) {
    const agent = t.env.agents[0]!;
    // OTLP/HTTP on :4318 (§2): protobuf only, traces and metrics only.
    const http = await agent.otlpHttpUrl();
    const json = await postRaw(`${http}/v1/traces`, '{"resourceSpans":[]}', { contentType: "application/json", signal: t.signal });
    t.verify("status" in json && json.status === 400, "OTLP/HTTP with a JSON body is refused with 400", json);
    const logs = await postRaw(`${http}/v1/logs`, "", { contentType: "application/x-protobuf", signal: t.signal });
    t.verify("status" in logs && logs.status === 404, "OTLP/HTTP logs are not served (404)", logs);

    // OTLP/gRPC on :4317 (§2, §10 #17), from the runner through grpc-js, each call with a deadline.
    const grpc = otlpGrpcProbe(await agent.otlpGrpcTarget());
    try {
      const logsCall = await grpc.exportLogs(PROBE_LOG);
      t.verify(logsCall.code === status.UNIMPLEMENTED, "OTLP/gRPC logs are unimplemented (no LogsService)", logsCall);
      const gzip = await grpc.exportSpans(probeSpans(1).request, { gzip: true });
      t.verify(
        gzip.code === status.UNIMPLEMENTED && /decompressor is not installed/i.test(gzip.details),
        'a gzip-compressed OTLP/gRPC export is refused Unimplemented ("grpc: Decompressor is not installed")',
        gzip,
      );
      // grpc-go answers a payload it cannot unmarshal with Internal ("grpc: error unmarshalling request").
      const malformed = await grpc.exportRawTraces(MALFORMED_EXPORT);
      t.verify(malformed.code === status.INTERNAL, "a TraceService/Export frame that is no ExportTraceServiceRequest is refused with Internal", malformed);

      // Still serving: a well-formed export is accepted and every one of its spans is listed.
      const probe = probeSpans(3);
      const accepted = await grpc.exportSpans(probe.request);
      t.verify(accepted.code === status.OK, "an OTLP/gRPC export of 3 spans after the refused calls is accepted", accepted);
      const listed = (spans: TelemetrySpan[]) => probe.ids.filter((id) => spans.some((s) => s.traceId === id.traceId && s.spanId === id.spanId));
      await t.waitFor(
        `${agent.agentId} to list the 3 spans the runner exported after the refused calls`,
        async () => listed(await spansOf(t, agent, PROBE_SERVICE)).length,
        (found) => found === probe.ids.length,
        { timeoutMs: 15_000, intervalMs: 500 },
      );
    } finally {
      grpc.close();
    }
  },
};

const sampling: Check = {
  id: "otlp/sampling-at-defaults",
  title: "at Coral's default sampling, errors and slow spans are all kept and fast ones thinned",
  needs: ["otlp/grpc-ingestion"],
  touches: { observes: [PARTS.discovery, PARTS.ipPool] },
  timeoutMs: 120_000,
  async run(t) {
    // An agent at Coral's defaults: 10 % of fast OK spans, every ERROR and every span > 500 ms.
    const agent = await t.env.startAgent("agent-defaults", { coralDefaults: true });
    await t.waitFor("agent-defaults to answer GetRuntimeContext", async () => (await agent.api()).getRuntimeContext({}), () => true, { timeoutMs: 60_000, intervalMs: 500 });
    const app = await otelApp(t, agent, "otel-sampled", "grpc");
    await app.drive("/fast", 200);
    await app.drive("/fail", 5);
    await app.drive("/slow", 3);
    const spans = await t.waitFor(
      "agent-defaults to hold the 5 error and 3 slow spans",
      () => spansOf(t, agent, "otel-sampled"),
      (s) => serverSpans(s, "/fail").length >= 5 && serverSpans(s, "/slow").length >= 3,
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    const fast = serverSpans(spans, "/fast").length;
    t.observe("kept spans", countByRoute(spans));
    t.verify(serverSpans(spans, "/fail").length === 5, "all 5 error spans are kept", serverSpans(spans, "/fail").length);
    t.verify(serverSpans(spans, "/slow").length === 3, "all 3 spans over 500 ms are kept", serverSpans(spans, "/slow").length);
    // 200 × 0.10 = 20 expected; binomial sd ≈ 4.2, so [4, 45] holds with overwhelming odds.
    t.verify(fast >= 4 && fast <= 45, "fast OK spans are thinned to about 10 % (kept 4-45 of 200)", fast);
  },
};

const colonyPercentiles: Check = {
  id: "otlp/colony-percentiles",
  title: "the colony aggregates the app's spans into P50 ≤ P95 ≤ P99 near the known latency, with errors",
  needs: ["otlp/grpc-ingestion"],
  touches: NEXT_TO_AGENT,
  timeoutMs: 90_000,
  async run(t) {
    const agent = t.env.agents[0]!;
    const service = "otel-latency";
    const app = await otelApp(t, agent, service, "grpc");
    const colony = await t.env.colony.api();
    const sql = `SELECT p50_ms, p95_ms, p99_ms, total_spans, error_count FROM otel_summaries WHERE service_name = '${service}' AND span_kind = 'SERVER' ORDER BY bucket_time DESC LIMIT 1`;
    // Keep /api/users (~30 ms) the bulk of each poll's batch: a colony that summarises only its last
    // poll (Coral v0.3.0, §10 #7) then still describes that endpoint.
    const row = await t.waitFor(
      "the colony's latest otel_summaries row for otel-latency with P50 near 30 ms",
      async () => {
        await app.drive("/api/users", 5);
        const res = await colony.executeQuery({ sql, maxRows: 10 }, { signal: t.signal });
        const [p50, p95, p99, total, errors] = (res.rows[0]?.values ?? []).map(Number);
        return { p50, p95, p99, total, errors, columns: res.columns };
      },
      (r) => r.total! > 0 && r.p50! >= 25 && r.p50! <= 80,
      { timeoutMs: 45_000, intervalMs: 1_000 },
    );
    t.verify(row.p50! <= row.p95! && row.p95! <= row.p99!, "P50 ≤ P95 ≤ P99", row);
    t.verify(row.p99! < 500, "P99 stays well under the slow threshold for a 30 ms endpoint", row);
    await app.drive("/fail", 3);
    const errors = await t.waitFor(
      "error_count > 0 for otel-latency after 3 failing requests",
      async () => {
        const res = await colony.executeQuery({ sql: `SELECT sum(error_count) FROM otel_summaries WHERE service_name = '${service}'`, maxRows: 1 }, { signal: t.signal });
        return Number(res.rows[0]?.values[0] ?? 0);
      },
      (n) => n > 0,
      { timeoutMs: 20_000, intervalMs: 1_000 },
    );
    t.observe("error_count", errors);
    const summary = await t.waitFor(
      "QueryUnifiedSummary to list otel-latency with requests",
      async () => (await colony.queryUnifiedSummary({ service, timeRange: "10m" }, { signal: t.signal })).summaries.find((s) => s.serviceName === service),
      (s) => !!s && Number(s.requestCount) > 0,
      { timeoutMs: 20_000, intervalMs: 1_000 },
    );
    t.verify(["OTLP", "eBPF+OTLP"].includes(summary!.source), "the summary names OTLP as the source", summary!.source);
  },
};

export const otlp: Module = {
  name: "otlp",
  phase: "observability",
  layer: 1,
  checks: [grpcIngestion, httpIngestion, receiverEdges, sampling, colonyPercentiles],
};
