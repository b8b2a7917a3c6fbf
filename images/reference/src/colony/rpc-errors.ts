// Error text for success:false bodies, worded like connect-go's Error() ("<code>: <message>"), which is
// what Coral puts into `error` when an agent call fails (contract observability.md §3.5: the colony
// log shows `deadline_exceeded: context deadline exceeded`).
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";

export function errorText(err: unknown): string {
  if (err instanceof ConnectError) return `${codeToString(err.code)}: ${err.rawMessage}`;
  return err instanceof Error ? err.message : String(err);
}

/** An agent's not_found: for a collector, "already expired or restarted", which detach and the persister accept. */
export function isNotFound(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.NotFound;
}
