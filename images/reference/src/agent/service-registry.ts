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
import { DEFAULT_SDK_ADDR, fetchCapabilities, type SdkCapabilities } from "./sdk-client.js";
import { ServiceMonitor } from "./service-monitor.js";

interface ConnectedService {
  name: string;
  port: number;
  healthEndpoint: string;
  serviceType: string;
  labels: Record<string, string>;
  exePattern: string;
  monitor?: ServiceMonitor;
  /** The SDK debug endpoint of the app, pulled from localhost:9002 or pushed at connect (§4.6 step 2). */
  sdk?: SdkCapabilities;
  /** Pushed capabilities win over pulling; sdkEnabled:false means "no SDK" (§10 #11). */
  sdkPushed: boolean;
  /** The pull made at connect time: ConnectService answers once it is done, as Coral's does. */
  sdkPull?: Promise<void>;
}

/** What the profiler and the debug RPCs need of a connected service. */
export interface ServiceTarget {
  name: string;
  port: number;
  pid: number;
  monitored: boolean;
  sdk?: SdkCapabilities;
}

export type ConnectInput = Pick<ConnectServiceRequest, "name" | "port" | "healthEndpoint" | "serviceType" | "exePattern" | "sdkCapabilities"> & {
  labels?: Record<string, string>;
};

function pushedSdk(input: ConnectInput): SdkCapabilities | undefined {
  const c = input.sdkCapabilities;
  if (!c?.sdkEnabled) return undefined;
  return {
    addr: c.sdkAddr || DEFAULT_SDK_ADDR,
    pid: Number(c.processId) || 0,
    version: c.sdkVersion,
    hasDwarf: c.hasDwarfSymbols,
    functionCount: c.functionCount,
    binaryPath: c.binaryPath,
    binaryHash: c.binaryHash,
  };
}

export class ServiceRegistry {
  private services = new Map<string, ConnectedService>();
  /** Called when a service gets SDK capabilities (pulled or pushed): Coral then indexes its functions. */
  onSdkCapabilities?: (service: string) => void;

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
    const known = this.services.get(input.name);
    if (known) {
      // Already connected: still a success; pushed SDK capabilities are taken when a monitor exists.
      if (input.sdkCapabilities && known.monitor) {
        Object.assign(known, { sdk: pushedSdk(input), sdkPushed: true });
        if (known.sdk) this.onSdkCapabilities?.(known.name);
      }
      return undefined;
    }
    const service: ConnectedService = {
      name: input.name,
      port: Math.max(input.port, 0),
      healthEndpoint: input.healthEndpoint,
      serviceType: input.serviceType,
      labels: { ...(input.labels ?? {}) },
      exePattern: input.exePattern,
      sdkPushed: Boolean(input.sdkCapabilities),
      sdk: pushedSdk(input),
    };
    // A bare name+port stays Tier 0: no monitor, no PID, no SDK (§10 #14).
    if (service.healthEndpoint || service.exePattern) {
      service.monitor = new ServiceMonitor(service, () => void this.pullSdk(service));
      service.monitor.start();
      service.sdkPull = this.pullSdk(service);
    }
    this.services.set(service.name, service);
    if (service.monitor && service.sdk) this.onSdkCapabilities?.(service.name);
    log.info("Service connected", { service: service.name, port: service.port, health_endpoint: service.healthEndpoint, monitor: Boolean(service.monitor) });
    return undefined;
  }

  /** Resolves once the SDK pull of the service's ConnectService is over (found or not). */
  async sdkSettled(name: string): Promise<void> {
    await this.services.get(name)?.sdkPull;
  }

  /** Coral pulls from localhost:9002 in its own netns, whichever app serves it (§10 #11). */
  private pullSdk(service: ConnectedService): Promise<void> {
    if (service.sdkPushed) return Promise.resolve();
    return fetchCapabilities(DEFAULT_SDK_ADDR).then((sdk) => {
      if (!sdk || service.sdkPushed || this.services.get(service.name) !== service) return;
      const first = !service.sdk;
      if (first) log.info("Discovered SDK via HTTP", { service: service.name, addr: sdk.addr, pid: sdk.pid });
      service.sdk = sdk;
      if (first) this.onSdkCapabilities?.(service.name);
    });
  }

  target(name: string): ServiceTarget | undefined {
    const s = this.services.get(name);
    if (!s) return undefined;
    return { name: s.name, port: s.port, pid: s.sdk?.pid || s.monitor?.pid || 0, monitored: Boolean(s.monitor), sdk: s.sdk };
  }

  targets(): ServiceTarget[] {
    return [...this.services.keys()].map((name) => this.target(name)!);
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
        processId: s.sdk?.pid || m?.pid || 0,
        binaryPath: s.sdk?.binaryPath || m?.binaryPath || "",
        binaryHash: s.sdk?.binaryHash ?? "",
        hasMonitor: Boolean(m),
        observationTier: m?.pid ? 1 : 0,
        exePattern: s.exePattern,
      });
    });
  }
}
