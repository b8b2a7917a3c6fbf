// Heartbeat and reconnection (contract connectivity.md §3.5). Heartbeats go to
// http://<colony mesh IPv4>:<connect port>, i.e. THROUGH the tunnel, one at once and then every
// interval, 5 s timeout. An error or ok:false is a failure. From the third consecutive failure on,
// every failed heartbeat triggers a re-registration over the underlay with the cached colony
// information; only a successful heartbeat resets the counter and the reconnection backoff.
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { MeshService, type RegisterResponse } from "../../../../proto/gen/coral/mesh/v1/auth_pb.js";
import { parseDuration } from "../common/duration.js";
import { faults } from "../common/faults.js";
import { log } from "../common/log.js";
import type { AgentState } from "./agent-state.js";
import { hostOf } from "./bootstrap.js";
import { readCheckpoint, writeCheckpoint } from "./checkpoint.js";
import { readAgentCertificate } from "./certs.js";
import { registerWithColony } from "./colony-register.js";
import { errorText, jitter, sleep } from "./errors.js";
import { configureAgentMesh } from "./mesh.js";
import { discoveryClient, lookupColony } from "./discovery-client.js";

const HEARTBEAT_TIMEOUT_MS = 5_000;
const FAILURES_BEFORE_RECONNECT = 3;
const RECONNECT_CHECK_INTERVAL_MS = 5_000;
const RECONNECT_BACKOFF_MIN_MS = 1_000;
const RECONNECT_BACKOFF_MAX_MS = 5 * 60_000;

/** Applies an accepted Register: mesh configuration and the `enrolled` checkpoint. */
export async function applyRegistration(state: AgentState, res: RegisterResponse): Promise<void> {
  await configureAgentMesh(state, { assignedIp: res.assignedIp, meshSubnet: res.meshSubnet });
  const { config } = state;
  const previous = readCheckpoint(config.certsDir);
  const cert = readAgentCertificate(config.certsDir);
  writeCheckpoint(config.certsDir, {
    schema_version: 1,
    state: "enrolled",
    agent_id: config.agentId,
    colony_id: config.colonyId,
    wireguard_private_key: state.wireguardPrivateKey,
    wireguard_public_key: state.wireguardPublicKey,
    assigned_ip: res.assignedIp,
    mesh_subnet: res.meshSubnet,
    certificate_sha256: cert?.sha256,
    certificate_serial: cert?.serial,
    enrolled_at: previous?.state === "enrolled" && previous.enrolled_at ? previous.enrolled_at : new Date().toISOString(),
  });
}

export class ConnectionManager {
  private consecutiveFailures = 0;
  private reconnectBackoffMs = RECONNECT_BACKOFF_MIN_MS;
  private wakeReconnection: (() => void) | undefined;
  private heartbeatClient?: { url: string; client: ReturnType<typeof createClient<typeof MeshService>> };

  constructor(private readonly state: AgentState) {}

  start(): void {
    void this.heartbeatLoop();
    void this.reconnectionLoop();
  }

  private heartbeatUrl(): string {
    const colony = this.state.colony!;
    const port = this.state.colonyConnectPort();
    if (faults.has("heartbeat-over-underlay") && colony.endpoints[0]) return `http://${hostOf(colony.endpoints[0])}:${port}`;
    return `http://${this.state.colonyMeshIpv4()}:${port}`;
  }

  private client(url: string) {
    if (this.heartbeatClient?.url !== url) {
      const transport = createConnectTransport({ baseUrl: url, httpVersion: "1.1", useBinaryFormat: true });
      this.heartbeatClient = { url, client: createClient(MeshService, transport) };
    }
    return this.heartbeatClient.client;
  }

  private async heartbeatLoop(): Promise<void> {
    const intervalMs = this.state.config.heartbeatIntervalMs;
    const stopAfter = faults.has("stop-heartbeats-after") ? parseDuration(faults.value("stop-heartbeats-after"), 0) : undefined;
    const startedMs = Date.now();
    log.info("Starting heartbeat loop", { interval: intervalMs });
    // Like a Go ticker: a fixed rate with one buffered tick. A tick that passed during a slow
    // heartbeat fires at once afterwards; further missed ticks are dropped.
    let nextTickMs = startedMs + intervalMs;
    for (;;) {
      if (stopAfter !== undefined && Date.now() - startedMs >= stopAfter) return;
      if (this.state.colony) await this.sendHeartbeat();
      const now = Date.now();
      if (now >= nextTickMs) {
        nextTickMs = startedMs + (Math.floor((now - startedMs) / intervalMs) + 1) * intervalMs;
        continue;
      }
      await sleep(nextTickMs - now);
      nextTickMs += intervalMs;
    }
  }

  private async sendHeartbeat(): Promise<void> {
    const url = this.heartbeatUrl();
    try {
      // Fault heartbeat-needs-discovery: a regression that ties every heartbeat to a discovery lookup.
      if (faults.has("heartbeat-needs-discovery")) await lookupColony(discoveryClient(this.state.config.discoveryEndpoint), this.state.config.colonyId);
      const res = await this.client(url).heartbeat(
        { agentId: this.state.config.agentId, status: "healthy" },
        { timeoutMs: HEARTBEAT_TIMEOUT_MS },
      );
      if (!res.ok) throw new Error("heartbeat not acknowledged by colony");
      this.consecutiveFailures = 0;
      this.reconnectBackoffMs = RECONNECT_BACKOFF_MIN_MS;
      this.state.setState("healthy");
      log.debug("Heartbeat sent successfully", { url });
    } catch (err) {
      this.consecutiveFailures++;
      log.warn("Failed to send heartbeat", { consecutive_failures: this.consecutiveFailures, error: errorText(err) });
      if (this.consecutiveFailures >= FAILURES_BEFORE_RECONNECT && !faults.has("never-reregister")) {
        log.warn("Multiple heartbeat failures detected - triggering reconnection", { consecutive_failures: this.consecutiveFailures });
        this.triggerReconnection();
      }
    }
  }

  triggerReconnection(): void {
    this.state.setState("unregistered");
    this.wakeReconnection?.();
  }

  private waitForTrigger(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeReconnection = undefined;
        resolve();
      }
      this.wakeReconnection = done;
    });
  }

  private async reconnectionLoop(): Promise<void> {
    for (;;) {
      await this.waitForTrigger(RECONNECT_CHECK_INTERVAL_MS);
      if (this.state.state !== "unregistered" || !this.state.colony) continue;
      log.info("Attempting to reconnect to colony");
      this.state.setState("registering");
      try {
        const res = await registerWithColony(this.state);
        await applyRegistration(this.state, res);
        this.state.setState("registered");
        log.info("Successfully reconnected to colony and configured mesh", { mesh_ip: res.assignedIp });
      } catch (err) {
        this.state.setState("unregistered");
        const retryIn = jitter(this.reconnectBackoffMs);
        log.warn("Reconnection attempt failed - will retry", { error: errorText(err), retry_in: Math.round(retryIn * 10) / 10 });
        await sleep(retryIn);
        this.reconnectBackoffMs = Math.min(this.reconnectBackoffMs * 2, RECONNECT_BACKOFF_MAX_MS);
      }
    }
  }
}
