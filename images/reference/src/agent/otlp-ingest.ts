// What both OTLP receivers do with a decoded export (contract observability.md §4.2): spans are
// filtered, converted and stored; metrics become RED rows only when a Beyla manager exists (the
// reference has none yet, so app metrics are dropped as in Coral without Beyla, §10 #5).
import type { ExportMetricsServiceRequest } from "../../../../proto/gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.js";
import type { ExportTraceServiceRequest } from "../../../../proto/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js";
import { faults } from "../common/faults.js";
import { log } from "../common/log.js";
import type { AgentStore } from "./agent-store.js";
import type { TelemetryConfig } from "./observability-config.js";
import { serviceNameOf } from "./otlp-attributes.js";
import { CumulativeDeltas, histogramRows } from "./otlp-metrics.js";
import { keepSpan, spanRow, type SpanRow } from "./otlp-spans.js";

export class OtlpIngest {
  private keptSpans = 0;
  private readonly deltas = new CumulativeDeltas();

  constructor(
    private readonly store: AgentStore,
    private readonly config: TelemetryConfig,
    private readonly beylaManagerExists: boolean,
  ) {}

  exportTraces(request: ExportTraceServiceRequest): void {
    let received = 0;
    let processed = 0;
    const kept: SpanRow[] = [];
    for (const rs of request.resourceSpans) {
      const serviceName = serviceNameOf(rs.resource?.attributes);
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          received++;
          if (!keepSpan(span, this.config)) continue;
          const row = spanRow(span, serviceName);
          processed++;
          if (faults.has("never-mark-errors")) row.isError = false;
          // Fault switch: every third kept span is counted as processed but never stored.
          if (faults.has("drop-every-third-span") && ++this.keptSpans % 3 === 0) continue;
          kept.push(row);
        }
      }
    }
    this.store.spans.insert(kept);
    log.info("Processed OTLP spans export", {
      filtered: received - processed,
      processed,
      received,
      service_name: serviceNameOf(request.resourceSpans[0]?.resource?.attributes),
    });
  }

  exportMetrics(request: ExportMetricsServiceRequest): void {
    if (!this.beylaManagerExists) return;
    const rows = histogramRows(request, this.deltas);
    for (const name of rows.skipped) log.debug("Skipping unknown metric", { metric_name: name });
    this.store.ebpfHttp.insert(rows.http);
    this.store.ebpfGrpc.insert(rows.grpc);
    this.store.ebpfSql.insert(rows.sql);
  }
}
