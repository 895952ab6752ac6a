/** Timing helpers for the benchmark: several runs after a warm-up, the median quoted. */

export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

export function summarize(samples: readonly number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const medianMs = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { medianMs, minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]!, runs: sorted.length };
}

export interface RunOptions {
  runs: number;
  warmups: number;
}

/**
 * Times `fn` in this process `runs` times after `warmups` untimed runs. `fn` returns a count it
 * processed; every run must return the same one (a check that each run did the whole work).
 */
export async function timeInProcess(
  fn: () => number | Promise<number>,
  options: RunOptions,
): Promise<{ timing: Timing; count: number }> {
  let count: number | undefined;
  const samples: number[] = [];
  for (let i = 0; i < options.warmups + options.runs; i++) {
    const started = performance.now();
    const n = await fn();
    const ms = performance.now() - started;
    if (count !== undefined && n !== count) throw new Error(`run ${i} counted ${n}, not ${count}`);
    count = n;
    if (i >= options.warmups) samples.push(ms);
  }
  return { timing: summarize(samples), count: count ?? 0 };
}

/** Times a whole process (wall clock, spawn to exit); its stdout and stderr are discarded. */
export async function timeCommand(
  command: string,
  args: string[],
  options: RunOptions,
): Promise<Timing> {
  const samples: number[] = [];
  for (let i = 0; i < options.warmups + options.runs; i++) {
    const started = performance.now();
    const result = await new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    const ms = performance.now() - started;
    if (!result.success) {
      const said = new TextDecoder().decode(result.stderr).trim().split("\n").slice(-2).join(" ");
      throw new Error(`${command} ${args.join(" ")} exited with ${result.code}: ${said}`);
    }
    if (i >= options.warmups) samples.push(ms);
  }
  return summarize(samples);
}
