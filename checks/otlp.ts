// Layer 1: OTLP ingestion at the agent and aggregation at the colony (contract observability.md
// §2, §3.2, §3.4, §4.2, §5.2, §10). Fixture apps run in an agent's namespaces and export to it;
// every count is compared with what the runner made the app send.
import type { TelemetrySpan } from "../proto/gen/coral/agent/v1/agent_pb.js";
import type { AppNode } from "../src/coral/apps.js";
import type { AgentNode } from "../src/coral/nodes.js";
import { FIXTURES } from "../src/coral/settings.js";
import { waitAgentsHealthy, type Check, type Module, type T } from "./support.js";
import { PARTS } from "../src/coral/parts.js";

/** The apps run next to the first run agent: checks watch run agents, none disturbs them. */
const NEXT_TO_AGENT = { observes: [PARTS.agents] };

/** Each service gets its own port: several apps share one agent's network namespace. */
const APP_PORTS: Record<string, number> = { "otel-grpc": 8081, "otel-http": 8082, "otel-latency": 8083, "otel-sampled": 8084 };

/** The otel-app fixture next to an agent, exporting over one protocol under its own service name. */
function otelApp(t: T, agent: AgentNode, service: string, protocol: "grpc" | "http"): Promise<AppNode> {
  const port = APP_PORTS[service]!;
  return t.env.startApp(agent, {
    ...FIXTURES.otelApp,
    name: service,
    port,
    env: { OTEL_APP_SERVICE: service, OTEL_APP_PROTOCOL: protocol, OTEL_APP_PORT: String(port) },
  });
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

const receiverEdges: Check = {
  id: "otlp/receiver-edges",
  title: "the OTLP receivers refuse JSON bodies and logs, and keep serving",
  needs: ["otlp/http-ingestion"],
  touches: NEXT_TO_AGENT,
  timeoutMs: 60_000,
  async run(t) {
    const agent = t.env.agents[0]!;
    const curl = async (args: string[]) => (await agent.exec(["curl", "-s", "--max-time", "5", ...args])).stdout.trim();
    const json = await curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json", "-d", '{"resourceSpans":[]}', "http://127.0.0.1:4318/v1/traces"]);
    t.verify(json === "400", "OTLP/HTTP with a JSON body is refused with 400", json);
    const logs = await curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/x-protobuf", "--data-binary", "", "http://127.0.0.1:4318/v1/logs"]);
    t.verify(logs === "404", "OTLP/HTTP logs are not served (404)", logs);
    // An empty gRPC message (5-byte frame) to the logs service: the agent has no LogsService.
    const grpc = await agent.exec([
      "bash", "-c",
      "printf '\\x00\\x00\\x00\\x00\\x00' | curl -s --max-time 5 --http2-prior-knowledge -o /dev/null -D - -H 'content-type: application/grpc' -H 'te: trailers' --data-binary @- http://127.0.0.1:4317/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    ]);
    const status = /grpc-status:\s*(\d+)/i.exec(grpc.stdout)?.[1];
    t.verify(status === "12", "OTLP/gRPC logs are unimplemented (grpc-status 12)", grpc.stdout.trim() || grpc.stderr.trim());
    // Still serving: a new request arrives as a span.
    const app = await otelApp(t, agent, "otel-http", "http");
    const before = serverSpans(await spansOf(t, agent, "otel-http"), "/fast").length;
    await app.drive("/fast", 1);
    await t.waitFor("a new /fast span after the refused requests", () => spansOf(t, agent, "otel-http"), (s) => serverSpans(s, "/fast").length === before + 1, {
      timeoutMs: 15_000,
      intervalMs: 500,
    });
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
