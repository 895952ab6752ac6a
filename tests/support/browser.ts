/** Browser tests drive Debian's Chromium with playwright-core (never a downloaded browser). */
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
/** Screenshots land here (git-ignored). */
export const OUTPUT = new URL("../output/", import.meta.url).pathname;
// This machine has no network beyond the registries: background services would only fail.
const LAUNCH_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
}
