/**
 * What the box itself says: this process's CPU (from /proc/self/stat deltas), memory, the disk
 * of the state folder, and the network interfaces of /sys/class/net.
 */

/** Linux USER_HZ: the unit of utime/stime in /proc/PID/stat. */
const CLOCK_TICKS = 100;

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** utime + stime of this process, seconds. */
function cpuSeconds(): number | undefined {
  const stat = readText("/proc/self/stat");
  if (stat === undefined) return undefined;
  // The command name (field 2) may hold spaces: fields are counted after its closing ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime + stime) ? (utime + stime) / CLOCK_TICKS : undefined;
}

/** CPU use of this process since the previous call, percent of one core. */
export class CpuMeter {
  #lastCpu = cpuSeconds();
  #lastWall = performance.now();

  percent(): number {
    const cpu = cpuSeconds();
    const wall = performance.now();
    const seconds = (wall - this.#lastWall) / 1000;
    const used = cpu === undefined || this.#lastCpu === undefined ? 0 : cpu - this.#lastCpu;
    this.#lastCpu = cpu;
    this.#lastWall = wall;
    return seconds > 0 ? Math.round((used / seconds) * 1000) / 10 : 0;
  }
}

export function memory(): { rssBytes: number; totalBytes: number } {
  const kb = /^MemTotal:\s+(\d+) kB/m.exec(readText("/proc/meminfo") ?? "")?.[1];
  return { rssBytes: Deno.memoryUsage().rss, totalBytes: kb === undefined ? 0 : Number(kb) * 1024 };
}

/** Free and total bytes of the file system holding `path` (from `df`; zeros when it fails). */
export async function disk(path: string): Promise<{ freeBytes: number; totalBytes: number }> {
  try {
    const out = await new Deno.Command("df", {
      args: ["-B1", "--output=avail,size", path],
      stdout: "piped",
      stderr: "null",
    }).output();
    const last = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
    const [free, total] = last.trim().split(/\s+/).map(Number);
    if (out.success && Number.isFinite(free) && Number.isFinite(total)) {
      return { freeBytes: free!, totalBytes: total! };
    }
  } catch {
    // No df: the heartbeat says zeros rather than fail.
  }
  return { freeBytes: 0, totalBytes: 0 };
}

export type LinkState = "up" | "down" | "missing";

/** operstate of the interface; "unknown" (loopback, some virtual links) counts as up when IFF_UP. */
export function linkState(name: string): LinkState {
  const dir = `/sys/class/net/${name}`;
  const state = readText(`${dir}/operstate`)?.trim();
  if (state === undefined) return "missing";
  if (state === "up") return "up";
  if (state === "unknown") return (Number(readText(`${dir}/flags`)?.trim()) & 1) ? "up" : "down";
  return "down";
}

export interface InterfaceInfo {
  name: string;
  link: LinkState;
  operstate: string;
  mac: string;
  mtu: number;
  rxPackets: number;
  rxBytes: number;
  rxDropped: number;
  txPackets: number;
  txBytes: number;
}

/** Every interface of /sys/class/net, by name. */
export function listInterfaces(): InterfaceInfo[] {
  const names: string[] = [];
  try {
    for (const e of Deno.readDirSync("/sys/class/net")) names.push(e.name);
  } catch {
    return [];
  }
  const counter = (name: string, file: string) =>
    Number(readText(`/sys/class/net/${name}/statistics/${file}`)?.trim() ?? 0) || 0;
  return names.sort().map((name) => ({
    name,
    link: linkState(name),
    operstate: readText(`/sys/class/net/${name}/operstate`)?.trim() ?? "",
    mac: readText(`/sys/class/net/${name}/address`)?.trim() ?? "",
    mtu: Number(readText(`/sys/class/net/${name}/mtu`)?.trim() ?? 0) || 0,
    rxPackets: counter(name, "rx_packets"),
    rxBytes: counter(name, "rx_bytes"),
    rxDropped: counter(name, "rx_dropped"),
    txPackets: counter(name, "tx_packets"),
    txBytes: counter(name, "tx_bytes"),
  }));
}

/** Whether a process with this pid is alive (the agent of a status.json). */
export function processAlive(pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 0 && readText(`/proc/${pid}/stat`) !== undefined;
}
