// OTLP/gRPC receiver on :4317 (contract observability.md §2): TraceService/Export and
// MetricsService/Export with protobuf-es (de)serializers. Like Coral's grpc-go server it has no
// LogsService and no gzip decompressor: both answer Unimplemented with grpc-go's wording; a payload
// that does not decode is refused with Internal, as grpc-go's "error unmarshalling request".
import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import {
  Metadata,
  Server,
  ServerCredentials,
  ServerInterceptingCall,
  status as GrpcStatus,
  type ServerInterceptor,
  type ServiceDefinition,
} from "@grpc/grpc-js";
import {
  ExportMetricsServiceRequestSchema,
  ExportMetricsServiceResponseSchema,
} from "../../../../proto/gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.js";
import {
  ExportTraceServiceRequestSchema,
  ExportTraceServiceResponseSchema,
} from "../../../../proto/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js";
import { create } from "@bufbuild/protobuf";
import { faults } from "../common/faults.js";
import type { OtlpIngest } from "./otlp-ingest.js";
import { splitEndpoint } from "./observability-config.js";

const LOGS_SERVICE = "opentelemetry.proto.collector.logs.v1.LogsService";

function unaryMethod<I extends DescMessage, O extends DescMessage>(path: string, input: I, output: O) {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: MessageShape<I>) => Buffer.from(toBinary(input, m)),
    requestDeserialize: (b: Buffer) => decodeRequest(input, b),
    responseSerialize: (m: MessageShape<O>) => Buffer.from(toBinary(output, m)),
    responseDeserialize: (b: Buffer) => fromBinary(output, b),
  };
}

/** Fault `otlp-grpc-accepts-malformed`: a payload that does not decode is taken as an empty export. */
function decodeRequest<I extends DescMessage>(input: I, bytes: Buffer): MessageShape<I> {
  try {
    return fromBinary(input, bytes);
  } catch (error) {
    if (faults.has("otlp-grpc-accepts-malformed")) return create(input);
    throw error;
  }
}

const rawBytes = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };

/**
 * grpc-js decompresses gzip by itself before any handler runs; Coral's server has no gzip
 * decompressor. grpc-js strips `grpc-encoding` from the metadata, so the first interceptor reads
 * the encoding the base call parsed (a field of grpc-js 1.14's BaseServerInterceptingCall).
 */
const rejectCompressedCalls: ServerInterceptor = (_method, call) => {
  const encoding = (call as unknown as { incomingEncoding?: string }).incomingEncoding ?? "identity";
  return new ServerInterceptingCall(call, {
    start(next) {
      next({
        onReceiveMetadata(metadata, forward) {
          if (encoding === "identity") return forward(metadata);
          call.sendStatus({
            code: GrpcStatus.UNIMPLEMENTED,
            details: `grpc: Decompressor is not installed for grpc-encoding "${encoding}"`,
            metadata: new Metadata(),
          });
        },
      });
    },
  });
};

export async function startOtlpGrpcReceiver(endpoint: string, ingest: OtlpIngest): Promise<Server> {
  // Fault `otlp-grpc-accepts-gzip`: grpc-js's own gzip decompressor stays in place.
  const server = new Server({ interceptors: faults.has("otlp-grpc-accepts-gzip") ? [] : [rejectCompressedCalls] });
  const traces = unaryMethod(
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    ExportTraceServiceRequestSchema,
    ExportTraceServiceResponseSchema,
  );
  const metrics = unaryMethod(
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    ExportMetricsServiceRequestSchema,
    ExportMetricsServiceResponseSchema,
  );
  server.addService({ Export: traces } as ServiceDefinition, {
    Export(call: { request: MessageShape<typeof ExportTraceServiceRequestSchema> }, callback: (err: null, res: unknown) => void) {
      ingest.exportTraces(call.request);
      callback(null, create(ExportTraceServiceResponseSchema));
    },
  });
  server.addService({ Export: metrics } as ServiceDefinition, {
    Export(call: { request: MessageShape<typeof ExportMetricsServiceRequestSchema> }, callback: (err: null, res: unknown) => void) {
      ingest.exportMetrics(call.request);
      callback(null, create(ExportMetricsServiceResponseSchema));
    },
  });
  // Registered only to answer with grpc-go's "unknown service" text instead of grpc-js's own.
  server.addService(
    { Export: { path: `/${LOGS_SERVICE}/Export`, requestStream: false, responseStream: false, requestSerialize: rawBytes.serialize, requestDeserialize: rawBytes.deserialize, responseSerialize: rawBytes.serialize, responseDeserialize: rawBytes.deserialize } } as ServiceDefinition,
    {
      // Fault `otlp-grpc-serves-logs`: logs are answered OK (and dropped).
      Export(_call: unknown, callback: (err: { code: number; details: string } | null, res?: Buffer) => void) {
        if (faults.has("otlp-grpc-serves-logs")) return callback(null, Buffer.alloc(0));
        callback({ code: GrpcStatus.UNIMPLEMENTED, details: `unknown service ${LOGS_SERVICE}` });
      },
    },
  );
  const { host, port } = splitEndpoint(endpoint);
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
  });
  return server;
}
