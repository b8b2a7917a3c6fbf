// `coral-agent start`: Coral v0.3.0's startup sequence (contract connectivity.md §1.3): config and
// agent ID; network init (discovery lookup, WireGuard keys, STUN, the wg0 device); runtime
// detection; certificate bootstrap; registration with the colony over the underlay (or the
// checkpoint restore); the local servers; then the heartbeat and reconnection loops.
import { networkInterfaces } from "node:os";
import { create } from "@bufbuild/protobuf";
import { RegisterAgentRequestSchema } from "../../../../proto/gen/coral/discovery/v1/discovery_pb.js";
import { log } from "../common/log.js";
import { generateKeyPair, WireGuardDevice } from "../common/wireguard.js";
import { AgentState } from "./agent-state.js";
import { startAgentApi, startMeshPingEcho } from "./api-server.js";
import { BootstrapError, runCertificateBootstrap } from "./bootstrap.js";
import { readAgentCertificate, isValidFor } from "./certs.js";
import { readCheckpoint, writeCheckpoint, type EnrollmentCheckpoint } from "./checkpoint.js";
import { meshRegisterUrl, registerWithColony } from "./colony-register.js";
import { ConfigError, loadAgentConfig, type AgentConfig, type StartFlags } from "./config.js";
import { applyRegistration, ConnectionManager } from "./connection.js";
import { DISCOVERY_TIMEOUT_MS, discoveryClient, lookupColony, type DiscoveryClient } from "./discovery-client.js";
import { errorText, FatalError, jitter, sleep } from "./errors.js";
import { configureAgentMesh } from "./mesh.js";
import { Observability } from "./observability.js";
import { detectRuntimeContext, hasCapability } from "./runtime-context.js";
import { applyKernelView } from "./kernel-view.js";
import { discoverPublicEndpoint } from "../common/stun.js";

const CAP_NET_ADMIN = 12;
const WAIT_FOR_DISCOVERY_MIN_MS = 2_000;
const WAIT_FOR_DISCOVERY_MAX_MS = 120_000;

function localIPv4(): string {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (name === "wg0") continue;
    const found = addrs?.find((a) => a.family === "IPv4" && !a.internal);
    if (found) return found.address;
  }
  return "127.0.0.1";
}

function wireguardIdentity(config: AgentConfig): { checkpoint?: EnrollmentCheckpoint; privateKey: string; publicKey: string } {
  const checkpoint = readCheckpoint(config.certsDir);
  if (checkpoint && checkpoint.agent_id === config.agentId && checkpoint.colony_id === config.colonyId) {
    log.info("Loaded enrollment checkpoint", { state: checkpoint.state, agent_id: checkpoint.agent_id, assigned_ip: checkpoint.assigned_ip });
    log.info("Restored agent WireGuard identity from enrollment checkpoint", { public_key: checkpoint.wireguard_public_key });
    return { checkpoint, privateKey: checkpoint.wireguard_private_key, publicKey: checkpoint.wireguard_public_key };
  }
  const keys = generateKeyPair();
  writeCheckpoint(config.certsDir, {
    schema_version: 1,
    state: "pending",
    agent_id: config.agentId,
    colony_id: config.colonyId,
    wireguard_private_key: keys.privateKey,
    wireguard_public_key: keys.publicKey,
  });
  log.info("Generated agent WireGuard keys", { public_key: keys.publicKey });
  return { privateKey: keys.privateKey, publicKey: keys.publicKey };
}

async function waitForDiscovery(state: AgentState, discovery: DiscoveryClient): Promise<void> {
  let backoffMs = WAIT_FOR_DISCOVERY_MIN_MS;
  for (;;) {
    try {
      state.colony = await lookupColony(discovery, state.config.colonyId);
      log.info("Successfully retrieved colony information from discovery", { colony_id: state.config.colonyId, endpoints: state.colony.endpoints });
      return;
    } catch (err) {
      const retryIn = jitter(backoffMs);
      log.warn("Discovery lookup required to finish agent startup failed - will retry", { error: errorText(err), retry_in: Math.round(retryIn * 10) / 10 });
      await sleep(retryIn);
      backoffMs = Math.min(backoffMs * 2, WAIT_FOR_DISCOVERY_MAX_MS);
    }
  }
}

async function initializeNetwork(state: AgentState, discovery: DiscoveryClient): Promise<EnrollmentCheckpoint | undefined> {
  const { config } = state;
  try {
    state.colony = await lookupColony(discovery, config.colonyId);
    log.info("Received colony information from discovery", {
      colony_id: config.colonyId,
      endpoints: state.colony.endpoints,
      mesh_ipv4: state.colony.meshIpv4,
      connect_port: state.colony.connectPort,
    });
  } catch (err) {
    log.warn("Failed to query discovery service - will retry in background", { error: errorText(err) });
    state.setState("waiting_discovery");
  }

  if (config.wireguardPortFromEnv) log.info("Using Agent WireGuard port from CORAL_WIREGUARD_PORT", { port: config.wireguardPort });
  else log.info("Using default Agent WireGuard port", { port: config.wireguardPort });
  const identity = wireguardIdentity(config);
  state.wireguardPrivateKey = identity.privateKey;
  state.wireguardPublicKey = identity.publicKey;

  const stun = config.wireguardPort > 0 ? await discoverPublicEndpoint(config.stunServers, config.wireguardPort) : undefined;

  if (state.colony && state.colony.endpoints.length === 0 && state.colony.observedEndpoints.length === 0) {
    throw new FatalError("network initialization failed: failed to setup WireGuard: colony has no usable WireGuard endpoint");
  }
  try {
    state.device = await WireGuardDevice.start({ ifname: "wg0", privateKey: identity.privateKey, listenPort: config.wireguardPort });
  } catch (err) {
    throw new FatalError(`network initialization failed: failed to setup WireGuard: ${errorText(err)}`);
  }
  state.wireguardListenPort = config.wireguardPort;
  log.info("WireGuard device started", { interface: "wg0", listen_port: config.wireguardPort });
  state.observedEndpoints = stun ? [`${stun.ip}:${stun.port}`] : [`${localIPv4()}:0`];

  if (stun) {
    try {
      await discovery.registerAgent(
        create(RegisterAgentRequestSchema, {
          agentId: config.agentId,
          meshId: config.colonyId,
          pubkey: identity.publicKey,
          endpoints: state.observedEndpoints,
          observedEndpoint: { ip: stun.ip, port: stun.port, protocol: "udp" },
        }),
        { timeoutMs: DISCOVERY_TIMEOUT_MS },
      );
      log.info("Registered agent with discovery service", { observed_endpoint: state.observedEndpoints[0] });
    } catch (err) {
      log.warn("Failed to register agent with discovery service", { error: errorText(err) });
    }
  }
  return identity.checkpoint;
}

async function ensureCertificate(state: AgentState, discovery: DiscoveryClient, checkpoint: EnrollmentCheckpoint | undefined): Promise<boolean> {
  const { config } = state;
  const cert = readAgentCertificate(config.certsDir);
  if (cert && checkpoint && isValidFor(cert, config.colonyId, config.agentId)) {
    log.info("Found existing certificate", { serial: cert.serial, not_after: new Date(cert.cert.validTo).toISOString(), spiffe_id: cert.spiffeId });
    return checkpoint.state === "enrolled" && Boolean(checkpoint.assigned_ip) && checkpoint.certificate_sha256 === cert.sha256;
  }
  try {
    const info = await runCertificateBootstrap(config, discovery);
    if (!state.colony) {
      state.colony = info;
      log.info("Successfully retrieved colony information from discovery", { colony_id: config.colonyId, endpoints: info.endpoints });
    }
  } catch (err) {
    const detail = err instanceof BootstrapError ? err.message : errorText(err);
    throw new FatalError(`certificate bootstrap failed: certificate bootstrap failed: ${detail}`);
  }
  return false;
}

async function joinMesh(state: AgentState, checkpoint: EnrollmentCheckpoint | undefined, enrolled: boolean): Promise<void> {
  if (enrolled && checkpoint?.assigned_ip) {
    log.info("Restored mesh enrollment from checkpoint", { assigned_ip: checkpoint.assigned_ip });
    log.info("Agent enrolled through rendezvous bootstrap; skipped ordinary colony registration", { assigned_ip: checkpoint.assigned_ip });
    state.lastWorkingRegisterUrl = meshRegisterUrl(state);
    await configureAgentMesh(state, { assignedIp: checkpoint.assigned_ip, meshSubnet: checkpoint.mesh_subnet || "100.64.0.0/10", fromCheckpoint: true });
    state.setState("registered");
    log.info("Agent connected successfully", { mesh_ip: state.meshIp });
    return;
  }
  state.setState("registering");
  try {
    const res = await registerWithColony(state);
    await applyRegistration(state, res);
    state.setState("registered");
    log.info("Agent connected successfully", { mesh_ip: state.meshIp });
  } catch (err) {
    log.warn("Failed to register with colony - will retry in background", { error: errorText(err) });
    state.setState("unregistered");
  }
}

export async function startAgent(flags: StartFlags): Promise<void> {
  let config: AgentConfig;
  try {
    config = loadAgentConfig(flags);
  } catch (err) {
    if (err instanceof ConfigError) throw new FatalError(err.message);
    throw err;
  }
  if (!hasCapability(CAP_NET_ADMIN)) log.warn("Missing capability CAP_NET_ADMIN - WireGuard setup will likely fail");
  log.info("Starting Coral agent", { agent_id: config.agentId, colony_id: config.colonyId, mode: config.services.length > 0 ? "active" : "passive" });

  applyKernelView();
  const state = new AgentState(config);
  const observability = Observability.open(config);
  // Installed first: as PID 1 in a container, node would otherwise ignore SIGTERM.
  const shutdown = async (): Promise<void> => {
    log.info("Shutting down agent");
    await state.device?.stop().catch(() => undefined);
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown());
  process.once("SIGTERM", () => void shutdown());
  const discovery = discoveryClient(config.discoveryEndpoint);
  const checkpoint = await initializeNetwork(state, discovery);
  state.runtimeContext = detectRuntimeContext(config.agentId, config.monitorAll);
  const enrolled = await ensureCertificate(state, discovery, checkpoint);
  if (!state.colony) await waitForDiscovery(state, discovery);
  await joinMesh(state, checkpoint, enrolled);

  await observability.startCollectors();
  await startAgentApi(state, observability);
  await startMeshPingEcho();
  log.info("Agent started successfully - waiting for shutdown signal");
  new ConnectionManager(state).start();
}
