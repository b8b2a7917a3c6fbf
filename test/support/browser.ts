// Debian's Chromium driven headless through playwright-core, for tests that look at a page as a
// person would. No browser download: the system executable, a fresh profile, and the flags that keep
// Chromium off the (closed) network. Every console error, page error, dialog and request is recorded.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Why the browser tests cannot run here, or undefined when they can. */
export async function browserMissing(): Promise<string | undefined> {
  if (!existsSync(CHROMIUM)) return `no ${CHROMIUM} (Debian's chromium package; scripts/setup.sh installs it)`;
  try {
    await import("playwright-core");
    return undefined;
  } catch {
    return "playwright-core is not installed (npm ci installs it)";
  }
}

export interface BrowserSession {
  page: Page;
  /** Console errors, uncaught page errors and dialogs (alert, confirm) seen so far. */
  problems: string[];
  /** Every URL the page requested. */
  requests: string[];
  close(): Promise<void>;
}

export async function openPage(url: string, viewport = { width: 1400, height: 1000 }): Promise<BrowserSession> {
  const { chromium } = await import("playwright-core");
  const profile = await mkdtemp(join(tmpdir(), "coral-e2e-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport, timeout: 30_000 });
  const problems: string[] = [];
  const requests: string[] = [];
  context.on("request", (request) => requests.push(request.url()));
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(url);
  return {
    page,
    problems,
    requests,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
