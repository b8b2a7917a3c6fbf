// QueryUnifiedSummary (contract observability.md §3.4, §4.2 step 8): (a) eBPF rows from
// beyla_http_metrics, (b) otel_summaries rows merged in, (c) registered services without data are
// `idle`, (d) host figures by agent id. An OTLP-only service stays `OTLP` (Coral's `eBPF+OTLP` label
// for it is a defect, §10 #7, not copied).
import { create } from "@bufbuild/protobuf";
import {
  QueryUnifiedSummaryResponseSchema,
  UnifiedSummaryResultSchema,
  type QueryUnifiedSummaryRequest,
  type UnifiedSummaryResult,
} from "../../../../proto/gen/coral/colony/v1/queries_pb.js";
import type { ColonyDatabase } from "./database.js";
import { hostFiguresByAgent } from "./host-metrics.js";
import { otelSummaryRows } from "./otel-summary-rows.js";
import { timestampParam } from "./span-summaries.js";
import { windowStart } from "./time-range.js";

const HIGH_CPU_PERCENT = 80;

interface Accumulated {
  name: string;
  requests: number;
  errors: number;
  avgLatencyMs: number;
  ebpf: boolean;
  otlp: boolean;
  agentId: string;
}

async function ebpfServices(db: ColonyDatabase, sinceMs: number, service: string): Promise<Accumulated[]> {
  const reader = await db.read(
    `SELECT service_name, any_value(agent_id) AS agent_id, sum(count) AS requests,
            coalesce(sum(count) FILTER (WHERE http_status_code BETWEEN 500 AND 599), 0) AS errors,
            coalesce(avg(DISTINCT latency_bucket_ms) FILTER (WHERE latency_bucket_ms > 0), 0) AS avg_latency
       FROM beyla_http_metrics
      WHERE timestamp >= ? AND (? = '' OR service_name = ?)
      GROUP BY service_name`,
    [timestampParam(sinceMs), service, service],
  );
  return reader.getRowObjectsJS().map((r) => ({
    name: String(r.service_name),
    requests: Number(r.requests ?? 0),
    errors: Number(r.errors ?? 0),
    avgLatencyMs: Number(r.avg_latency ?? 0),
    ebpf: true,
    otlp: false,
    agentId: String(r.agent_id ?? ""),
  }));
}

async function registeredServices(db: ColonyDatabase, service: string): Promise<{ name: string; agentId: string }[]> {
  const reader = await db.read(
    `SELECT name, min(agent_id) AS agent_id FROM services WHERE (? = '' OR name = ?) GROUP BY name`,
    [service, service],
  );
  return reader.getRowObjectsJS().map((r) => ({ name: String(r.name), agentId: String(r.agent_id) }));
}

function status(acc: Accumulated, errorRate: number): string {
  const latencyCritical = acc.otlp && acc.avgLatencyMs > 2000;
  if (errorRate > 5 || latencyCritical) return "critical";
  if (errorRate > 1 || acc.avgLatencyMs > 1000) return "degraded";
  return "healthy";
}

export async function queryUnifiedSummary(db: ColonyDatabase, req: QueryUnifiedSummaryRequest) {
  const since = windowStart(req.timeRange);
  const byName = new Map<string, Accumulated>();
  for (const acc of await ebpfServices(db, since, req.service)) byName.set(acc.name, acc);
  for (const row of await otelSummaryRows(db, since, req.service)) {
    const acc = byName.get(row.serviceName);
    if (!acc) {
      byName.set(row.serviceName, {
        name: row.serviceName,
        requests: row.totalSpans,
        errors: row.errorCount,
        avgLatencyMs: row.p95,
        ebpf: false,
        otlp: true,
        agentId: row.agentId,
      });
      continue;
    }
    acc.requests += row.totalSpans;
    acc.errors += row.errorCount;
    acc.avgLatencyMs = (acc.avgLatencyMs + row.p95) / 2;
    acc.otlp = true;
    acc.agentId ||= row.agentId;
  }

  const hosts = await hostFiguresByAgent(db, since);
  const results: UnifiedSummaryResult[] = [];
  for (const acc of byName.values()) {
    const errorRate = acc.requests > 0 ? (acc.errors / acc.requests) * 100 : 0;
    results.push(
      create(UnifiedSummaryResultSchema, {
        serviceName: acc.name,
        status: status(acc, errorRate),
        requestCount: BigInt(acc.requests),
        errorRate,
        avgLatencyMs: acc.avgLatencyMs,
        source: acc.ebpf && acc.otlp ? "eBPF+OTLP" : acc.ebpf ? "eBPF" : "OTLP",
        agentId: acc.agentId,
      }),
    );
  }
  for (const svc of await registeredServices(db, req.service)) {
    if (!byName.has(svc.name)) results.push(create(UnifiedSummaryResultSchema, { serviceName: svc.name, status: "idle", agentId: svc.agentId }));
  }

  for (const r of results) {
    const host = hosts.get(r.agentId);
    if (!host) continue;
    r.hostCpuUtilization = host.cpuMax;
    r.hostCpuUtilizationAvg = host.cpuAvg;
    r.hostMemoryUsageGb = host.memoryUsageGb;
    r.hostMemoryLimitGb = host.memoryLimitGb;
    r.hostMemoryUtilization = host.memoryUtilization;
    // A busy host degrades every service on it, whatever the service does (§4.2 step 8).
    if (host.cpuMax > HIGH_CPU_PERCENT) {
      r.issues.push(`⚠️  High CPU: ${Math.round(host.cpuMax)}% (threshold: ${HIGH_CPU_PERCENT}%)`);
      if (r.status === "healthy") r.status = "degraded";
    }
  }
  results.sort((a, b) => (a.serviceName < b.serviceName ? -1 : a.serviceName > b.serviceName ? 1 : 0));
  return create(QueryUnifiedSummaryResponseSchema, { summaries: results });
}
