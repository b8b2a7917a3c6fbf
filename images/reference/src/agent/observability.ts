// Starts the agent's observability pieces in Coral's order (contract observability.md §1.4): the
// store first, then after registration the OTLP receivers and the system metrics collector; the
// :9001 server comes after this.
import { log } from "../common/log.js";
import { AgentStore } from "./agent-store.js";
import { ContinuousCpuProfiler } from "./cpu-profiler.js";
import { FunctionRegistry } from "./function-registry.js";
import { loadRedObserverConfig, RedObserver } from "./red-observer.js";
import type { AgentConfig } from "./config.js";
import { loadObservabilityConfig, type ObservabilityConfig } from "./observability-config.js";
import { startOtlpGrpcReceiver } from "./otlp-grpc-receiver.js";
import { startOtlpHttpReceiver } from "./otlp-http-receiver.js";
import { OtlpIngest } from "./otlp-ingest.js";
import { ServiceRegistry } from "./service-registry.js";
import { SystemMetricsCollector } from "./system-metrics.js";

export class Observability {
  readonly services = new ServiceRegistry();
  /**
   * Coral builds a Beyla manager with monitor-all or configured services (§1.4 step 2); without one,
   * OTLP metrics are dropped (§10 #5) and QueryEbpfMetrics is empty. The reference's "Beyla" is the
   * passive RedObserver.
   */
  readonly beylaManagerExists: boolean;
  readonly functions = new FunctionRegistry(this.services);
  telemetryEnabled = false;

  private constructor(
    readonly config: ObservabilityConfig,
    readonly store: AgentStore,
    private readonly monitorAll: boolean,
    configuredServices: number,
  ) {
    this.beylaManagerExists = monitorAll || configuredServices > 0;
  }

  static open(agentConfig: AgentConfig): Observability {
    const config = loadObservabilityConfig();
    const observability = new Observability(config, AgentStore.open(config), agentConfig.monitorAll, agentConfig.services.length);
    for (const s of agentConfig.services) {
      const error = observability.services.connect({ name: s.name, port: s.port, healthEndpoint: s.healthEndpoint, serviceType: s.serviceType, exePattern: "" });
      if (error) log.warn("Failed to connect configured service", { service: s.name, error });
    }
    return observability;
  }

  async startCollectors(): Promise<void> {
    if (this.beylaManagerExists) new RedObserver(this.services, this.store.ebpfHttp, this.store.ebpfTraces, this.monitorAll, loadRedObserverConfig()).start();
    else log.info("No services configured - Beyla will not start until services are connected");
    await this.startOtlpReceiver();
    if (this.config.systemMetrics.disabled) log.info("System metrics collection disabled");
    else await new SystemMetricsCollector(this.store, this.config.systemMetrics).start();
    new ContinuousCpuProfiler(this.services, this.store.cpuSamples, this.config.profiling).start();
  }

  private async startOtlpReceiver(): Promise<void> {
    const t = this.config.telemetry;
    if (t.disabled) {
      log.info("Telemetry disabled - OTLP receiver not started");
      return;
    }
    const ingest = new OtlpIngest(this.store, t, this.beylaManagerExists);
    try {
      await startOtlpGrpcReceiver(t.grpcEndpoint, ingest);
      await startOtlpHttpReceiver(t.httpEndpoint, ingest);
    } catch (err) {
      // Non-fatal in Coral: the agent keeps running without L1.
      log.error("Failed to start OTLP receiver", { error: err instanceof Error ? err.message : String(err) });
      return;
    }
    this.telemetryEnabled = true;
    log.info("OTLP receiver started successfully", {
      grpc_endpoint: t.grpcEndpoint,
      http_endpoint: t.httpEndpoint,
      latency_threshold_ms: t.highLatencyThresholdMs,
      sample_rate: t.sampleRate,
    });
  }
}
