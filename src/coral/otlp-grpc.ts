// The runner's own OTLP/gRPC client, for probing an agent's receiver on :4317 from the outside
// (observability.md §2, §10 #17): @grpc/grpc-js over h2c, with the messages of the project's OTLP
// .proto files loaded by @grpc/proto-loader. Every call has a deadline; an answer of any status is a
// result (the probes expect refusals), only a missing answer past the deadline is DEADLINE_EXCEEDED.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client, Metadata, credentials, loadPackageDefinition, status, type ChannelOptions, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

/** proto/ of the project (dist/src/coral → the repository root). */
const PROTO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "proto");
export { status as grpcStatus };

const TRACE_EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

type UnaryClient = Client & {
  Export(request: object, metadata: Metadata, options: { deadline: Date }, callback: (error: ServiceError | null) => void): void;
};
type ClientConstructor = new (target: string, creds: ReturnType<typeof credentials.createInsecure>, options?: ChannelOptions) => UnaryClient;
type OtlpServices = { TraceService: ClientConstructor; LogsService: ClientConstructor };

let loaded: OtlpServices | undefined;

/** The two services' client classes, loaded from the .proto files on first use. */
function services(): OtlpServices {
  if (loaded) return loaded;
  const definitions = loadSync(
    ["opentelemetry/proto/collector/trace/v1/trace_service.proto", "opentelemetry/proto/collector/logs/v1/logs_service.proto"],
    { includeDirs: [PROTO_ROOT], longs: String, enums: String, oneofs: true },
  );
  const { collector } = (loadPackageDefinition(definitions) as unknown as { opentelemetry: { proto: { collector: Record<"trace" | "logs", { v1: Record<string, ClientConstructor> }> } } }).opentelemetry.proto;
  loaded = { TraceService: collector.trace.v1.TraceService!, LogsService: collector.logs.v1.LogsService! };
  return loaded;
}

/** How a call ended: gRPC status code (0 = OK), its name and the server's message. */
export interface GrpcOutcome {
  code: number;
  codeName: string;
  details: string;
}

/** An ExportTraceServiceRequest or ExportLogsServiceRequest as proto-loader objects (camelCase fields). */
export type OtlpRequest = Record<string, unknown>;

export interface OtlpGrpcProbe {
  exportSpans(request: OtlpRequest, options?: { gzip?: boolean }): Promise<GrpcOutcome>;
  exportLogs(request: OtlpRequest): Promise<GrpcOutcome>;
  /** A TraceService/Export frame whose payload is given as is (not necessarily a valid message). */
  exportRawTraces(payload: Buffer): Promise<GrpcOutcome>;
  close(): void;
}

/** Probes of the receiver at `target` (host:port), each call bounded by `deadlineMs`. */
export function otlpGrpcProbe(target: string, deadlineMs = 5_000): OtlpGrpcProbe {
  const { TraceService, LogsService } = services();
  const insecure = credentials.createInsecure();
  // One channel per kind of call: grpc-js stops compressing on a channel once the server said it
  // accepts no gzip, and the gzip probe must send a compressed frame.
  const traces = new TraceService(target, insecure);
  const gzipTraces = new TraceService(target, insecure, { "grpc.default_compression_algorithm": 2 });
  const logs = new LogsService(target, insecure);
  const raw = new Client(target, insecure);
  const clients = [traces, gzipTraces, logs, raw];

  const settle = (call: (options: { deadline: Date }, done: (error: ServiceError | null) => void) => void): Promise<GrpcOutcome> =>
    new Promise((resolve) => {
      call({ deadline: new Date(Date.now() + deadlineMs) }, (error) => {
        const code = error?.code ?? status.OK;
        resolve({ code, codeName: status[code] ?? String(code), details: error?.details ?? "" });
      });
    });

  return {
    exportSpans: (request, options = {}) => settle((o, done) => (options.gzip ? gzipTraces : traces).Export(request, new Metadata(), o, done)),
    exportLogs: (request) => settle((o, done) => logs.Export(request, new Metadata(), o, done)),
    exportRawTraces: (payload) =>
      settle((o, done) =>
        raw.makeUnaryRequest(TRACE_EXPORT, (bytes: Buffer) => bytes, (bytes: Buffer) => bytes, payload, new Metadata(), o, (error) => done(error)),
      ),
    close: () => clients.forEach((c) => c.close()),
  };
}
