// Error text in connect-go's shape (`permission_denied: invalid bootstrap PSK`), which is how the
// agent's log lines and fatal messages quote RPC failures (contract connectivity.md §7.3).
import { ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";

export function errorText(err: unknown): string {
  if (err instanceof ConnectError) return `${codeToString(err.code)}: ${err.rawMessage}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** An error whose message is already the full text to print after `Error: `. */
export class FatalError extends Error {}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `base` ±10 %. */
export const jitter = (base: number): number => base * (0.9 + Math.random() * 0.2);
