/**
 * Translates a classic BPF program into one JavaScript function that V8 can optimise, with the
 * same results as {@link runBpf}. Forward jumps map onto labelled blocks: every block opens at
 * the start of the function and closes right before its target, so the blocks nest and
 * `break L<target>` is a jump from anywhere before the target.
 */
import { Bpf, type BpfMatcher, type BpfProgram, runBpf, validateBpf } from "./bpf.ts";

/** How a program ended up executable. */
export type BpfBackend = "compiled" | "interpreted";

export interface CompiledBpf {
  matcher: BpfMatcher;
  backend: BpfBackend;
  /** The generated JavaScript source (empty when interpreted). */
  source: string;
}

/** A big-endian load of `size` bytes at `p[base + at]`. */
function load(size: number, base: string, at: number): string {
  const byte = (j: number) => `p[${base} + ${at + j}]`;
  if (size === 1) return byte(0);
  if (size === 2) return `((${byte(0)} << 8) | ${byte(1)})`;
  return `(((${byte(0)} << 24) | (${byte(1)} << 16) | (${byte(2)} << 8) | ${byte(3)}) >>> 0)`;
}

const SIZE_OF: Record<number, number> = { [Bpf.W]: 4, [Bpf.H]: 2, [Bpf.B]: 1 };

/** JavaScript for the ALU operation `op` with operand `v` (a constant or `X`). */
function alu(op: number, v: string): string {
  switch (op) {
    case Bpf.ADD:
      return `A = (A + ${v}) >>> 0;`;
    case Bpf.SUB:
      return `A = (A - ${v}) >>> 0;`;
    case Bpf.MUL:
      return `A = Math.imul(A, ${v}) >>> 0;`;
    case Bpf.DIV:
      return v === "X" ? `if (X === 0) return 0; A = (A / X) >>> 0;` : `A = (A / ${v}) >>> 0;`;
    case Bpf.MOD:
      return v === "X" ? `if (X === 0) return 0; A = A % X;` : `A = A % ${v};`;
    case Bpf.AND:
      return `A = (A & ${v}) >>> 0;`;
    case Bpf.OR:
      return `A = (A | ${v}) >>> 0;`;
    case Bpf.XOR:
      return `A = (A ^ ${v}) >>> 0;`;
    case Bpf.LSH:
      return v === "X" ? `A = X < 32 ? (A << X) >>> 0 : 0;` : `A = (A << ${v}) >>> 0;`;
    case Bpf.RSH:
      return v === "X" ? `A = X < 32 ? A >>> X : 0;` : `A = A >>> ${v};`;
    default:
      return `A = (0 - A) >>> 0;`;
  }
}

function condition(op: number, v: string): string {
  switch (op) {
    case Bpf.JEQ:
      return `A === ${v}`;
    case Bpf.JGT:
      return `A > ${v}`;
    case Bpf.JGE:
      return `A >= ${v}`;
    default:
      return `(A & ${v}) !== 0`;
  }
}

function jump(from: number, target: number): string {
  return target === from + 1 ? "" : `break L${target};`;
}

function statement(program: BpfProgram, pc: number): string {
  const code = program.code[pc]!;
  const k = program.k[pc]!;
  const cls = code & 0x07;
  const mode = code & 0xe0;
  switch (cls) {
    case Bpf.LD:
    case Bpf.LDX: {
      const r = cls === Bpf.LD ? "A" : "X";
      if (mode === Bpf.IMM) return `${r} = ${k};`;
      if (mode === Bpf.MEM) return `${r} = m${k};`;
      if (mode === Bpf.LEN) return `${r} = w >>> 0;`;
      if (mode === Bpf.MSH) return `if (${k} >= c) return 0; X = (p[o + ${k}] & 15) << 2;`;
      const size = SIZE_OF[code & 0x18]!;
      if (mode === Bpf.ABS) return `if (${k + size} > c) return 0; A = ${load(size, "o", k)};`;
      return `i = X + ${k}; if (i + ${size} > c) return 0; i += o; A = ${load(size, "i", 0)};`;
    }
    case Bpf.ST:
      return `m${k} = A;`;
    case Bpf.STX:
      return `m${k} = X;`;
    case Bpf.ALU:
      return alu(code & 0xf0, (code & Bpf.X) !== 0 ? "X" : String(k));
    case Bpf.JMP: {
      if ((code & 0xf0) === Bpf.JA) return jump(pc, pc + 1 + k);
      const t = jump(pc, pc + 1 + program.jt[pc]!);
      const f = jump(pc, pc + 1 + program.jf[pc]!);
      if (t === f) return t;
      const test = condition(code & 0xf0, (code & Bpf.X) !== 0 ? "X" : String(k));
      if (f === "") return `if (${test}) ${t}`;
      if (t === "") return `if (!(${test})) ${f}`;
      return `if (${test}) ${t} else ${f}`;
    }
    case Bpf.RET:
      return (code & 0x18) === Bpf.A ? "return A;" : `return ${k};`;
    default:
      return code === (Bpf.MISC | Bpf.TAX) ? "X = A;" : "A = X;";
  }
}

/** The JavaScript body of a validated program without backward jumps. */
export function bpfToJavaScript(program: BpfProgram): string {
  const targets = new Set<number>();
  const slots = new Set<number>();
  const body: string[] = [];
  for (let pc = 0; pc < program.length; pc++) {
    const code = program.code[pc]!;
    const cls = code & 0x07;
    if (cls === Bpf.JMP) {
      // A jump to the next instruction falls through and needs no label.
      const next = pc + 1;
      if ((code & 0xf0) === Bpf.JA) {
        if (program.k[pc]! !== 0) targets.add(next + program.k[pc]!);
      } else {
        if (program.jt[pc]! !== 0) targets.add(next + program.jt[pc]!);
        if (program.jf[pc]! !== 0) targets.add(next + program.jf[pc]!);
      }
    }
    if (cls === Bpf.ST || cls === Bpf.STX || ((code & 0xe0) === Bpf.MEM && cls <= Bpf.LDX)) {
      slots.add(program.k[pc]!);
    }
  }
  const labels = [...targets].sort((a, b) => b - a);
  const memory = [...slots].sort((a, b) => a - b).map((s) => `m${s} = 0`);
  body.push(`let A = 0, X = 0, i = 0${memory.map((m) => `, ${m}`).join("")};`);
  body.push(labels.map((t) => `L${t}: {`).join(" "));
  for (let pc = 0; pc < program.length; pc++) {
    if (targets.has(pc)) body.push("}");
    body.push(statement(program, pc));
  }
  body.push("return 0;");
  return body.join("\n");
}

/**
 * Makes a program executable: validated (throws `BpfError`), then compiled to a JavaScript
 * function, or interpreted when asked to, when it jumps backwards or when it is too deeply nested
 * for the JS parser.
 */
export function compileBpf(
  program: BpfProgram,
  options: { interpret?: boolean } = {},
): CompiledBpf {
  validateBpf(program);
  const interpreted: CompiledBpf = {
    matcher: (bytes, offset, capturedLength, wireLength) =>
      runBpf(program, bytes, offset, capturedLength, wireLength),
    backend: "interpreted",
    source: "",
  };
  if (options.interpret === true || program.hasBackwardJumps) return interpreted;
  const source = bpfToJavaScript(program);
  try {
    const matcher = new Function("p", "o", "c", "w", source) as BpfMatcher;
    return { matcher, backend: "compiled", source };
  } catch (err) {
    // V8's parser recurses per nested block: a program with thousands of jump targets
    // overflows the stack (RangeError); the interpreter handles any length.
    if (err instanceof RangeError) return interpreted;
    throw err;
  }
}
