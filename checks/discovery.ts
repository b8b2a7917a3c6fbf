// Discovery: the service is up, knows the colony, keeps knowing it, and guards the mesh id
// (contract connectivity.md §2.2, §3.1, §6.11, §6.28).
import { createHash, X509Certificate } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { TIMERS } from "../src/coral/settings.js";
import { pause } from "../src/util/time.js";
import { attempt, connectCode, newWireGuardKey, type Check, type Module } from "./support.js";
import { PARTS } from "../src/coral/parts.js";

const healthy: Check = {
  id: "discovery/healthy",
  title: "discovery answers GET /health and the Health RPC",
  touches: { observes: [PARTS.discovery] },
  timeoutMs: 20_000,
  async run(t) {
    const doc = await t.env.discovery.health();
    t.verify(doc.status === 200 && (doc.json as { status?: string })?.status === "ok", "GET /health answers 200 with status ok", doc);
    const rpc = await (await t.env.discovery.client()).health({}, { signal: t.signal });
    t.verify(rpc.status === "ok", "Health RPC reports status ok", rpc);
    t.observe("discovery version", rpc.version);
  },
};

const colonyRegistered: Check = {
  id: "discovery/colony-registered",
  title: "the colony's record in discovery matches the colony",
  needs: ["discovery/healthy"],
  touches: { observes: [PARTS.discovery] },
  timeoutMs: 30_000,
  async run(t) {
    const colony = await (await t.env.colony.api()).getStatus({}, { signal: t.signal });
    const record = await (await t.env.discovery.client()).lookupColony({ meshId: t.env.colony.id }, { signal: t.signal });
    t.observe("LookupColony", record);
    t.verify(record.pubkey !== "" && record.pubkey === colony.wireguardPublicKey, "the record's WireGuard key is the colony's own (GetStatus)", { discovery: record.pubkey, colony: colony.wireguardPublicKey });
    t.verify(record.endpoints.length > 0, "the record lists WireGuard endpoints", record.endpoints);
    t.verify(record.meshIpv4 !== "" && record.meshIpv4 === colony.meshIpv4, "the record's mesh IPv4 is the colony's", { discovery: record.meshIpv4, colony: colony.meshIpv4 });
    t.verify(record.connectPort !== 0 && record.connectPort === colony.connectPort, "the record's connect port is the colony's", { discovery: record.connectPort, colony: colony.connectPort });

    // Discovery hashes the CA PEM it was given (§6.28); the colony's own fingerprint hashes the DER.
    const pub = record.publicEndpoint;
    t.verify(!!pub?.enabled && !!pub.caCert, "the record carries the public endpoint with its CA", pub);
    const pem = Buffer.from(pub!.caCert, "base64");
    const advertised = Buffer.from(pub!.caFingerprint?.value ?? new Uint8Array()).toString("hex");
    t.verify(advertised === createHash("sha256").update(pem).digest("hex"), "the record's CA fingerprint is the SHA-256 of the CA it publishes", advertised);
    const der = new X509Certificate(pem).raw;
    const derHex = createHash("sha256").update(der).digest("hex");
    const ca = await (await t.env.colony.api()).getCAStatus({}, { signal: t.signal });
    t.verify(derHex === ca.rootCa?.fingerprint.toLowerCase(), "the published CA is the colony's root CA (GetCAStatus)", { published: derHex, colony: ca.rootCa?.fingerprint });
    t.verify(`sha256:${derHex}` === t.env.colony.identity.caFingerprint.toLowerCase(), "the published CA is the one agents are told to trust", derHex);
  },
};

const registrationRefreshed: Check = {
  id: "discovery/registration-refreshed",
  title: "the colony's registration is refreshed past the TTL",
  needs: ["discovery/healthy"],
  touches: { observes: [PARTS.discovery] },
  timeoutMs: 40_000,
  async run(t) {
    // The record's timestamps are not trustworthy (§6.11): watch it stay found for 1.5 TTLs.
    const client = await t.env.discovery.client();
    const windowMs = TIMERS.discoveryTtlSeconds * 1500;
    const until = Date.now() + windowMs;
    let lookups = 0;
    while (Date.now() < until) {
      const lookup = await attempt(client.lookupColony({ meshId: t.env.colony.id }, { signal: t.signal, timeoutMs: 5_000 }));
      if (lookup.error) {
        const into = ((windowMs - (until - Date.now())) / 1000).toFixed(1);
        t.fail(`the colony's record vanished ${into} s into the watch (TTL ${TIMERS.discoveryTtlSeconds} s): the colony stopped refreshing its registration`, connectCode(lookup.error));
      }
      lookups++;
      await pause(1000, t.signal);
    }
    t.verify(lookups > 0, `the colony stayed registered for ${windowMs / 1000} s (${lookups} lookups, TTL ${TIMERS.discoveryTtlSeconds} s)`);
  },
};

const unknownMesh: Check = {
  id: "discovery/unknown-mesh-not-found",
  title: "looking up an unknown mesh id fails with not_found",
  needs: ["discovery/healthy"],
  touches: { observes: [PARTS.discovery] },
  timeoutMs: 15_000,
  async run(t) {
    const meshId = `coral-e2e-unknown-${Date.now().toString(36)}`;
    const lookup = await attempt((await t.env.discovery.client()).lookupColony({ meshId }, { signal: t.signal }));
    if (!lookup.error) t.fail(`LookupColony(${meshId}) answered a record for a mesh that was never registered`, lookup.value);
    t.verify(connectCode(lookup.error) === Code[Code.NotFound], `LookupColony(${meshId}) fails with not_found`, connectCode(lookup.error));
  },
};

const splitBrain: Check = {
  id: "discovery/split-brain-rejected",
  title: "registering the colony's mesh id with another key fails with already_exists",
  needs: ["discovery/colony-registered"],
  touches: { disturbs: [PARTS.discovery] },
  timeoutMs: 15_000,
  async run(t) {
    const client = await t.env.discovery.client();
    const intruder = newWireGuardKey();
    const register = await attempt(
      t.env.discovery.registerColony({ meshId: t.env.colony.id, pubkey: intruder, endpoints: ["intruder:41580"], meshIpv4: "100.64.0.1", connectPort: 9000 }, t.signal),
    );
    if (!register.error) t.fail("discovery accepted a second colony key for a registered mesh id (split brain)", register.value);
    t.verify(connectCode(register.error) === Code[Code.AlreadyExists], "RegisterColony with a different key fails with already_exists", connectCode(register.error));
    const record = await client.lookupColony({ meshId: t.env.colony.id }, { signal: t.signal });
    t.verify(record.pubkey !== intruder, "the record still carries the colony's own key", record.pubkey);
  },
};

export const discovery: Module = {
  name: "discovery",
  phase: "connectivity",
  // The split-brain probe writes to discovery: declared before the long watch so it never waits for it.
  checks: [healthy, colonyRegistered, unknownMesh, splitBrain, registrationRefreshed],
};
