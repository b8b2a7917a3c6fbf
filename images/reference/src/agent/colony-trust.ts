// The bootstrap's trust check of the colony's public endpoint (contract connectivity.md §3.3 item
// 2.3): a TLS dial that accepts any certificate, then manual checks. The LAST certificate of the
// presented chain must be a CA whose SHA-256 over the DER equals CORAL_CA_FINGERPRINT, the server
// certificate must carry the URI SAN spiffe://coral/colony/<colony_id>, and each certificate must be
// signed by the next one.
import { createHash, X509Certificate } from "node:crypto";
import { connect, type DetailedPeerCertificate } from "node:tls";
import { isIP } from "node:net";

const TLS_DIAL_TIMEOUT_MS = 10_000;

export interface TrustedColony {
  url: string;
  rootCaPem: string;
}

function presentedChain(socketCert: DetailedPeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let current: DetailedPeerCertificate | undefined = socketCert;
  while (current && current.raw && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}

function dialChain(host: string, port: number): Promise<X509Certificate[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, rejectUnauthorized: false, servername: isIP(host) ? undefined : host, timeout: TLS_DIAL_TIMEOUT_MS });
    socket.once("secureConnect", () => {
      const chain = presentedChain(socket.getPeerCertificate(true));
      socket.destroy();
      resolve(chain);
    });
    socket.once("timeout", () => {
      socket.destroy();
      reject(new Error(`dial tcp ${host}:${port}: i/o timeout`));
    });
    socket.once("error", (err) => reject(err));
  });
}

function toPem(cert: X509Certificate): string {
  return cert.toString().trimEnd() + "\n";
}

/** Resolves with the root CA when every check passes; rejects with the reason otherwise. */
export async function verifyColonyEndpoint(
  url: string,
  colonyId: string,
  expectedFingerprintHex: string,
  skipFingerprintCheck: boolean,
): Promise<TrustedColony> {
  const { hostname, port } = new URL(url);
  const chain = await dialChain(hostname.replace(/^\[|\]$/g, ""), Number(port) || 443);
  if (chain.length === 0) throw new Error("no certificates presented");
  const root = chain[chain.length - 1]!;
  if (!skipFingerprintCheck) {
    if (!root.ca) throw new Error("last certificate in chain is not a CA");
    const received = createHash("sha256").update(root.raw).digest("hex");
    if (received !== expectedFingerprintHex) {
      throw new Error(`root CA fingerprint mismatch: expected ${expectedFingerprintHex}, received ${received} (possible MITM attack)`);
    }
  }
  const leaf = chain[0]!;
  const uris = [...(leaf.subjectAltName ?? "").matchAll(/URI:([^,\s]+)/g)].map((m) => m[1]);
  const want = `spiffe://coral/colony/${colonyId}`;
  if (!uris.includes(want)) throw new Error(`colony SPIFFE ID mismatch: expected ${want}, got ${JSON.stringify(uris)}`);
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i]!.verify(chain[i + 1]!.publicKey)) throw new Error(`certificate chain signature invalid at depth ${i}`);
  }
  return { url, rootCaPem: toPem(root) };
}
