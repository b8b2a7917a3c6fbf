// Which check is acting right now, carried through every await of its code (AsyncLocalStorage): the
// environment records each fault it injects under that id, so the engine can hold the check to its
// `touches` declaration and the reports can say who cut what. Outside any check (setup, a test that
// injects a fault itself) there is none.
import { AsyncLocalStorage } from "node:async_hooks";

const acting = new AsyncLocalStorage<string>();

export function actingCheck(): string | undefined {
  return acting.getStore();
}

export function runAs<T>(checkId: string, work: () => T): T {
  return acting.run(checkId, work);
}
