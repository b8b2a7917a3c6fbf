// The agent's span filter and span conversion (contract observability.md §4.2 steps 2-3): keep
// errors and slow spans, sample the rest per span; ids as lowercase hex, durations in ms, the
// error flag only from status ERROR, the HTTP fields only from the old semantic-convention keys.
import { Span_SpanKind, Status_StatusCode, type Span } from "../../../../proto/gen/opentelemetry/proto/trace/v1/trace_pb.js";
import { attributeMap } from "./otlp-attributes.js";

export interface SpanRow {
  /** Unix ms of the span start. */
  timestamp: number;
  traceId: string;
  spanId: string;
  serviceName: string;
  spanKind: string;
  durationMs: number;
  isError: boolean;
  httpStatus: number;
  httpMethod: string;
  httpRoute: string;
  attributes: Record<string, string>;
}

export interface SpanFilter {
  sampleRate: number;
  highLatencyThresholdMs: number;
}

const KIND_NAMES: Record<number, string> = {
  [Span_SpanKind.UNSPECIFIED]: "UNSPECIFIED",
  [Span_SpanKind.INTERNAL]: "INTERNAL",
  [Span_SpanKind.SERVER]: "SERVER",
  [Span_SpanKind.CLIENT]: "CLIENT",
  [Span_SpanKind.PRODUCER]: "PRODUCER",
  [Span_SpanKind.CONSUMER]: "CONSUMER",
};

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

export function spanDurationMs(span: Span): number {
  return Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6;
}

export function isErrorSpan(span: Span): boolean {
  return span.status?.code === Status_StatusCode.ERROR;
}

/** The per-span decision: children are sampled independently of their parent (§10 #30). */
export function keepSpan(span: Span, filter: SpanFilter, random: () => number = Math.random): boolean {
  if (isErrorSpan(span)) return true;
  if (spanDurationMs(span) > filter.highLatencyThresholdMs) return true;
  return random() < filter.sampleRate;
}

export function spanRow(span: Span, serviceName: string): SpanRow {
  const attributes = attributeMap(span.attributes);
  const status = Number.parseInt(attributes["http.status_code"] ?? "", 10);
  return {
    timestamp: Math.floor(Number(span.startTimeUnixNano / 1_000_000n)),
    traceId: hex(span.traceId),
    spanId: hex(span.spanId),
    serviceName,
    spanKind: KIND_NAMES[span.kind] ?? "UNSPECIFIED",
    durationMs: spanDurationMs(span),
    isError: isErrorSpan(span),
    httpStatus: Number.isFinite(status) ? status : 0,
    httpMethod: attributes["http.method"] ?? "",
    httpRoute: attributes["http.route"] ?? "",
    attributes,
  };
}
