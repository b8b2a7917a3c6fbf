// Validation of discovery's EdDSA referral tickets (§3.3 item 2.4): JWKS from
// `<discovery>/.well-known/jwks.json`, cached 5 minutes and refetched at most every 10 s.
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { fetchJwks } from "./discovery-client.js";

const CACHE_MS = 5 * 60_000;
const MIN_REFETCH_MS = 10_000;

export interface TicketClaims {
  colony_id?: string;
  agent_id?: string;
  reef_id?: string;
  intent?: string;
  exp?: number;
  iss?: string;
  aud?: string | string[];
}

export class ReferralTicketVerifier {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;

  constructor(private readonly discoveryUrl: string) {}

  private async keyFor(kid: string): Promise<KeyObject> {
    const stale = Date.now() - this.fetchedAt > CACHE_MS;
    const missing = !this.keys.has(kid) && Date.now() - this.fetchedAt > MIN_REFETCH_MS;
    if (stale || missing) {
      const jwks = await fetchJwks(this.discoveryUrl, 5_000);
      this.keys = new Map();
      for (const jwk of jwks.keys ?? []) {
        if (jwk.kty === "OKP" && jwk.crv === "Ed25519" && jwk.x) {
          this.keys.set(jwk.kid ?? "", createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" }));
        }
      }
      this.fetchedAt = Date.now();
    }
    const key = this.keys.get(kid) ?? (kid === "" && this.keys.size === 1 ? [...this.keys.values()][0] : undefined);
    if (!key) throw new Error(`unknown key id ${JSON.stringify(kid)}`);
    return key;
  }

  /** Claims of a valid ticket; throws with the reason otherwise. */
  async verify(jwt: string): Promise<TicketClaims> {
    const parts = jwt.split(".");
    if (parts.length !== 3) throw new Error("token is malformed");
    const [h, p, s] = parts as [string, string, string];
    let header: { alg?: string; kid?: string };
    let claims: TicketClaims;
    try {
      header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
      claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
    } catch {
      throw new Error("token is malformed");
    }
    if (header.alg !== "EdDSA") throw new Error(`unexpected signing method: ${header.alg}`);
    const key = await this.keyFor(header.kid ?? "");
    if (!verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, "base64url"))) throw new Error("token signature is invalid");
    if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now()) throw new Error("token has invalid claims: token is expired");
    if (claims.iss !== "coral-discovery") throw new Error("token has invalid issuer");
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes("coral-colony")) throw new Error("token has invalid audience");
    return claims;
  }
}
