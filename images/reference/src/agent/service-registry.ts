// Services connected to this agent (contract observability.md §3.2 ConnectService,
// DisconnectService, ListServices). Held in memory only: Coral does not restore connected services
// after an agent restart (§1.4 step 5); services from CORAL_SERVICES/agent.yaml are connected anew
// at every start.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  ServiceStatusSchema,
  type ConnectServiceRequest,
  type ServiceStatus,
} from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import { log } from "../common/log.js";
import { ServiceMonitor } from "./service-monitor.js";

interface ConnectedService {
  name: string;
  port: number;
  healthEndpoint: string;
  serviceType: string;
  labels: Record<string, string>;
  exePattern: string;
  monitor?: ServiceMonitor;
}

export type ConnectInput = Pick<ConnectServiceRequest, "name" | "port" | "healthEndpoint" | "serviceType" | "exePattern"> & {
  labels?: Record<string, string>;
};

export class ServiceRegistry {
  private services = new Map<string, ConnectedService>();

  /** Returns an error text, or undefined on success (also when already connected). */
  connect(input: ConnectInput): string | undefined {
    if (!input.name) return "service name is required";
    const hasPort = input.port > 0;
    const hasPattern = input.exePattern !== "";
    if (hasPort === hasPattern) return "exactly one of port or exe_pattern must be specified";
    if (hasPattern) {
      try {
        new RegExp(input.exePattern);
      } catch (err) {
        return `invalid exe_pattern: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    if (this.services.has(input.name)) return undefined;
    const service: ConnectedService = {
      name: input.name,
      port: Math.max(input.port, 0),
      healthEndpoint: input.healthEndpoint,
      serviceType: input.serviceType,
      labels: { ...(input.labels ?? {}) },
      exePattern: input.exePattern,
    };
    // A bare name+port stays Tier 0: no monitor, no PID (§10 #14).
    if (service.healthEndpoint || service.exePattern) {
      service.monitor = new ServiceMonitor(service);
      service.monitor.start();
    }
    this.services.set(service.name, service);
    log.info("Service connected", { service: service.name, port: service.port, health_endpoint: service.healthEndpoint, monitor: Boolean(service.monitor) });
    return undefined;
  }

  disconnect(name: string): string | undefined {
    const service = this.services.get(name);
    if (!service) return `service ${name} not found`;
    service.monitor?.stop();
    this.services.delete(name);
    log.info("Service disconnected", { service: name });
    return undefined;
  }

  list(): ServiceStatus[] {
    return [...this.services.values()].map((s) => {
      const m = s.monitor;
      return create(ServiceStatusSchema, {
        name: s.name,
        port: s.port,
        healthEndpoint: s.healthEndpoint,
        serviceType: s.serviceType,
        labels: s.labels,
        status: m?.status ?? "unknown",
        lastCheck: m?.lastCheck ? timestampFromDate(m.lastCheck) : undefined,
        error: m?.error ?? "",
        processId: m?.pid ?? 0,
        binaryPath: m?.binaryPath ?? "",
        hasMonitor: Boolean(m),
        observationTier: m?.pid ? 1 : 0,
        exePattern: s.exePattern,
      });
    });
  }
}
