// Connect JSON calls to the discovery Worker, which accepts only lowerCamelCase JSON (§2.1, §6.2).
// Errors read like connect-go's: `<code>: <message>`.
const SERVICE = "/coral.discovery.v1.DiscoveryService";

export class DiscoveryError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export async function callDiscovery<T = Record<string, unknown>>(baseUrl: string, method: string, body: unknown, timeoutMs: number): Promise<T> {
  const url = `${baseUrl.replace(/\/+$/, "")}${SERVICE}/${method}`;
  if (!/^https?:\/\//.test(url)) {
    // What Go's net/http says for an empty or scheme-less discovery URL (§1.2).
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1] ?? "";
    throw new DiscoveryError("unavailable", `Post "${url}": unsupported protocol scheme "${scheme}"`);
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Connect-Protocol-Version": "1" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: Error };
    if (e.name === "TimeoutError" || e.name === "AbortError") throw new DiscoveryError("deadline_exceeded", `Post "${url}": context deadline exceeded`);
    throw new DiscoveryError("unavailable", `Post "${url}": ${e.cause?.message ?? e.message}`);
  }
  const text = await res.text();
  let json: any = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new DiscoveryError("unknown", `HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
  if (!res.ok) throw new DiscoveryError(json.code ?? "unknown", json.message ?? `HTTP ${res.status}`);
  return json as T;
}

export async function fetchJwks(baseUrl: string, timeoutMs: number): Promise<{ keys: Array<Record<string, string>> }> {
  const url = `${baseUrl}/.well-known/jwks.json`; // no trimming, like Coral (§6.19)
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`JWKS fetch failed: HTTP ${res.status}`);
  return (await res.json()) as { keys: Array<Record<string, string>> };
}
