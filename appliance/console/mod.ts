/**
 * @module
 * Console: the `appliance` commands a person at the rack uses to see what the box does —
 * status, interfaces, counters, policies, pcaps, spool — as readable tables or `--json`.
 *
 * ```ts
 * const code = await runConsole({ kind: "console", view: "spool", json: false, stateDir: "data/appliance" });
 * ```
 */
import {
  countersView,
  interfacesView,
  pcapsView,
  policiesView,
  spoolView,
  statusView,
  type ViewResult,
} from "./views.ts";

export { consoleHelp } from "./help.ts";
export type { ViewResult } from "./views.ts";

export type ConsoleViewName = "status" | "interfaces" | "counters" | "policies" | "pcaps" | "spool";

const VIEWS: Record<
  ConsoleViewName,
  (stateDir: string, options: { pcapDir?: string }) => Promise<ViewResult>
> = {
  status: statusView,
  interfaces: interfacesView,
  counters: countersView,
  policies: policiesView,
  pcaps: pcapsView,
  spool: spoolView,
};

/** Prints one view; returns the exit status. Throws AgentError (exit 3) when not enrolled. */
export async function runConsole(
  command: { view: ConsoleViewName; json: boolean; stateDir: string; pcapDir?: string },
): Promise<number> {
  const result = await VIEWS[command.view](command.stateDir, command);
  console.log(command.json ? JSON.stringify(result.json, null, 2) : result.text);
  return result.code;
}
