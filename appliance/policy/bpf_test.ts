import assert from "node:assert/strict";
import {
  Bpf,
  BpfError,
  type BpfInstruction,
  bpfProgram,
  MAX_BACKWARD_JUMPS,
  runBpf,
  validateBpf,
} from "./bpf.ts";
import { compileBpf } from "./bpf_js.ts";

const { LD, LDX, ST, STX, ALU, JMP, RET, MISC, W, H, B, IMM, ABS, IND, MEM, LEN, MSH, K, X, A } =
  Bpf;

function op(code: number, k = 0, jt = 0, jf = 0): BpfInstruction {
  return { code, jt, jf, k };
}

/** Runs `instructions` with both backends, checks they agree, returns the result. */
function run(
  instructions: BpfInstruction[],
  packet: number[] | Uint8Array = [],
  wireLength = packet.length,
): number {
  const program = bpfProgram(instructions);
  const bytes = new Uint8Array([0xee, 0xee, ...packet, 0xee]);
  const interpreted = runBpf(program, bytes, 2, packet.length, wireLength);
  const compiled = compileBpf(program).matcher(bytes, 2, packet.length, wireLength);
  assert.equal(compiled, interpreted, "compiled and interpreted programs disagree");
  return interpreted;
}

const RET_A = op(RET | A);

Deno.test("runBpf() loads words, halves and bytes big-endian at absolute offsets", () => {
  const packet = [0x12, 0x34, 0x56, 0x78, 0x9a];
  assert.equal(run([op(LD | W | ABS, 1), RET_A], packet), 0x3456789a);
  assert.equal(run([op(LD | H | ABS, 3), RET_A], packet), 0x789a);
  assert.equal(run([op(LD | B | ABS, 4), RET_A], packet), 0x9a);
  assert.equal(run([op(LD | W | ABS, 0), op(RET | K, 7)], [0xff, 0xff, 0xff, 0xff]), 7);
  assert.equal(run([op(LD | W | ABS, 0), RET_A], [0xff, 0xff, 0xff, 0xfe]), 0xfffffffe);
});

Deno.test("runBpf() returns 0 for loads past the captured length, not the wire length", () => {
  const packet = [1, 2, 3, 4];
  assert.equal(run([op(LD | W | ABS, 1), op(RET | K, 1)], packet, 1500), 0);
  assert.equal(run([op(LD | H | ABS, 3), op(RET | K, 1)], packet, 1500), 0);
  assert.equal(run([op(LD | B | ABS, 4), op(RET | K, 1)], packet, 1500), 0);
  assert.equal(run([op(LD | B | ABS, 3), op(RET | K, 1)], packet, 1500), 1);
  assert.equal(run([op(LD | W | ABS, 0xfffffffe), op(RET | K, 1)], packet), 0);
  assert.equal(run([op(LDX | IMM, 2), op(LD | H | IND, 1), op(RET | K, 1)], packet), 0);
  assert.equal(run([op(LDX | IMM, 3), op(LD | B | IND, 1), op(RET | K, 1)], packet), 0);
  assert.equal(run([op(LDX | IMM, 0xffffffff), op(LD | B | IND, 1), op(RET | K, 1)], packet), 0);
  assert.equal(run([op(LDX | MSH | B, 4), op(RET | K, 1)], packet), 0);
});

Deno.test("runBpf() len is the wire length and ldx len loads it into X", () => {
  assert.equal(run([op(LD | W | LEN), RET_A], [1, 2], 1514), 1514);
  assert.equal(run([op(LDX | W | LEN), op(MISC | Bpf.TXA), RET_A], [1, 2], 60), 60);
});

Deno.test("runBpf() indexed loads add X, and ldxb 4*([k]&0xf) reads an IP header length", () => {
  const packet = [0x45, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xef, 7];
  assert.equal(run([op(LDX | MSH | B, 0), op(LD | H | IND, 0), RET_A], packet), 0xbeef);
  assert.equal(run([op(LDX | MSH | B, 0), op(LD | B | IND, 2), RET_A], packet), 7);
  assert.equal(run([op(LDX | IMM, 18), op(LD | W | IND, 1), RET_A], packet), 0x00beef07);
});

Deno.test("runBpf() scratch memory starts at 0 and keeps stored values", () => {
  assert.equal(run([op(LD | MEM, 5), RET_A]), 0);
  assert.equal(run([op(LD | IMM, 9), op(ST, 3), op(LD | IMM, 1), op(LD | MEM, 3), RET_A]), 9);
  assert.equal(
    run([op(LDX | IMM, 4), op(STX, 15), op(LDX | MEM, 15), op(MISC | Bpf.TXA), RET_A]),
    4,
  );
});

Deno.test("runBpf() ALU operations wrap at 32 bits", () => {
  const alu = (code: number, a: number, k: number) =>
    run([op(LD | IMM, a), op(ALU | code, k), RET_A]);
  const aluX = (code: number, a: number, x: number) =>
    run([op(LDX | IMM, x), op(LD | IMM, a), op(ALU | code | X), RET_A]);
  assert.equal(alu(Bpf.ADD, 0xffffffff, 2), 1);
  assert.equal(alu(Bpf.SUB, 1, 2), 0xffffffff);
  assert.equal(alu(Bpf.MUL, 0x10000, 0x10001), 0x10000);
  assert.equal(alu(Bpf.MUL, 0xffffffff, 0xffffffff), 1);
  assert.equal(alu(Bpf.DIV, 0xffffffff, 2), 0x7fffffff);
  assert.equal(alu(Bpf.MOD, 0xffffffff, 10), 5);
  assert.equal(alu(Bpf.AND, 0xf0f0f0f0, 0xff00ff00), 0xf000f000);
  assert.equal(alu(Bpf.OR, 0xf0000000, 1), 0xf0000001);
  assert.equal(alu(Bpf.XOR, 0xffffffff, 0x0f), 0xfffffff0);
  assert.equal(alu(Bpf.LSH, 0x80000001, 1), 2);
  assert.equal(alu(Bpf.RSH, 0x80000000, 31), 1);
  assert.equal(alu(Bpf.NEG, 1, 0), 0xffffffff);
  assert.equal(aluX(Bpf.ADD, 3, 4), 7);
  assert.equal(aluX(Bpf.SUB, 3, 4), 0xffffffff);
  assert.equal(aluX(Bpf.MUL, 3, 4), 12);
  assert.equal(aluX(Bpf.DIV, 13, 4), 3);
  assert.equal(aluX(Bpf.MOD, 13, 4), 1);
  assert.equal(aluX(Bpf.AND, 6, 3), 2);
  assert.equal(aluX(Bpf.OR, 6, 3), 7);
  assert.equal(aluX(Bpf.XOR, 6, 3), 5);
  assert.equal(aluX(Bpf.LSH, 1, 31), 0x80000000);
  assert.equal(aluX(Bpf.RSH, 0x80000000, 4), 0x08000000);
});

Deno.test("runBpf() rejects the packet on division or modulo by X = 0", () => {
  const ok = op(RET | K, 1);
  assert.equal(run([op(LD | IMM, 5), op(ALU | Bpf.DIV | X), ok]), 0);
  assert.equal(run([op(LD | IMM, 5), op(ALU | Bpf.MOD | X), ok]), 0);
});

Deno.test("runBpf() shifts by X of 32 or more give 0, as libpcap does", () => {
  const shift = (code: number, x: number) =>
    run([op(LDX | IMM, x), op(LD | IMM, 0xffffffff), op(ALU | code | X), RET_A]);
  assert.equal(shift(Bpf.LSH, 32), 0);
  assert.equal(shift(Bpf.RSH, 33), 0);
  assert.equal(shift(Bpf.LSH, 0xffffffff), 0);
  assert.equal(shift(Bpf.RSH, 31), 1);
});

Deno.test("runBpf() conditional jumps compare unsigned and jump jt or jf forward", () => {
  const test = (code: number, a: number, k: number) =>
    run([op(LD | IMM, a), op(JMP | code, k, 1, 0), op(RET | K, 0), op(RET | K, 1)]);
  assert.equal(test(Bpf.JEQ, 5, 5), 1);
  assert.equal(test(Bpf.JEQ, 5, 6), 0);
  assert.equal(test(Bpf.JGT, 0xffffffff, 1), 1);
  assert.equal(test(Bpf.JGT, 1, 1), 0);
  assert.equal(test(Bpf.JGE, 1, 1), 1);
  assert.equal(test(Bpf.JGE, 0, 1), 0);
  assert.equal(test(Bpf.JSET, 0x12, 0x02), 1);
  assert.equal(test(Bpf.JSET, 0x12, 0x01), 0);
  const testX = (code: number, a: number, x: number) =>
    run([
      op(LDX | IMM, x),
      op(LD | IMM, a),
      op(JMP | code | X, 0, 0, 1),
      op(RET | K, 1),
      op(RET | K, 0),
    ]);
  assert.equal(testX(Bpf.JEQ, 7, 7), 1);
  assert.equal(testX(Bpf.JGT, 0x80000000, 7), 1);
  assert.equal(testX(Bpf.JGE, 6, 7), 0);
  assert.equal(testX(Bpf.JSET, 6, 1), 0);
  assert.equal(run([op(JMP | Bpf.JA, 1), op(RET | K, 0), op(RET | K, 9)]), 9);
});

Deno.test("runBpf() returns the RET constant or A; tax/txa copy between registers", () => {
  assert.equal(run([op(RET | K, 262144)]), 262144);
  assert.equal(
    run([op(LD | IMM, 3), op(MISC | Bpf.TAX), op(LD | IMM, 0), op(MISC | Bpf.TXA), RET_A]),
    3,
  );
});

Deno.test("runBpf() stops a backward-jump loop after MAX_BACKWARD_JUMPS", () => {
  // M[0] counts iterations; the loop exits (RET 1) once the count reaches `limit`.
  const loop = (limit: number) =>
    bpfProgram([
      op(LD | MEM, 0),
      op(ALU | Bpf.ADD | K, 1),
      op(ST, 0),
      op(JMP | Bpf.JGE | K, limit, 1, 0),
      op(JMP | Bpf.JA, -5 >>> 0),
      op(RET | K, 1),
    ]);
  const bytes = new Uint8Array(4);
  assert.equal(runBpf(loop(MAX_BACKWARD_JUMPS + 1), bytes, 0, 4, 4), 1);
  assert.equal(runBpf(loop(MAX_BACKWARD_JUMPS + 2), bytes, 0, 4, 4), 0);
  validateBpf(loop(3));
  assert.equal(compileBpf(loop(3)).backend, "interpreted");
  assert.equal(compileBpf(loop(3)).matcher(bytes, 0, 4, 4), 1);
});

Deno.test("validateBpf() rejects what libpcap's bpf_validate rejects", () => {
  const invalid = (instructions: BpfInstruction[], pattern: RegExp) =>
    assert.throws(() => validateBpf(bpfProgram(instructions)), (err: unknown) => {
      assert.ok(err instanceof BpfError);
      assert.match(err.message, pattern);
      return true;
    });
  invalid([], /empty/);
  invalid([op(LD | IMM, 1)], /last instruction is not a RET/);
  invalid([op(0x07 | 0x40), op(RET | K)], /unknown BPF opcode 0x47 \(instruction 0\)/);
  invalid([op(LD | W | 0xe0), op(RET | K)], /unknown BPF opcode/);
  invalid([op(LD | MEM, 16), op(RET | K)], /M\[16\]/);
  invalid([op(ST, 99), op(RET | K)], /M\[99\]/);
  invalid([op(ALU | Bpf.DIV | K, 0), op(RET | K)], /division by the constant 0/);
  invalid([op(ALU | Bpf.MOD | K, 0), op(RET | K)], /division by the constant 0/);
  invalid([op(ALU | Bpf.LSH | K, 32), op(RET | K)], /shift by 32/);
  invalid([op(JMP | Bpf.JEQ | K, 0, 1, 0), op(RET | K)], /jump to 2, outside/);
  invalid([op(JMP | Bpf.JEQ | K, 0, 0, 255), op(RET | K)], /jump to 256, outside/);
  invalid([op(JMP | Bpf.JA, 1), op(RET | K)], /jump to 2, outside/);
  invalid([op(RET | K), op(JMP | Bpf.JA, -1 >>> 0), op(RET | K)], /jump to itself/);
  invalid([op(JMP | Bpf.JA, -2 >>> 0), op(RET | K)], /jump to -1, outside/);
  validateBpf(bpfProgram([op(JMP | Bpf.JEQ | K, 0, 1, 0), op(RET | K), op(RET | K, 1)]));
});

Deno.test("compileBpf() refuses an invalid program", () => {
  assert.throws(() => compileBpf(bpfProgram([op(LD | IMM)])), BpfError);
});

Deno.test("compileBpf() interprets programs too deeply nested for the JavaScript parser", () => {
  // 20,000 distinct jump targets, one labelled block each: `ldb [0]`, then per i
  // `jeq #(i % 256) jt 0 jf 1; ja <ret i + 1>`, then `ret #0` and the 20,000 RETs.
  const count = 20_000;
  const instructions: BpfInstruction[] = [op(LD | B | ABS, 0)];
  for (let i = 0; i < count; i++) {
    const pc = instructions.length + 1;
    instructions.push(op(JMP | Bpf.JEQ | K, i % 256, 0, 1));
    instructions.push(op(JMP | Bpf.JA, 1 + 2 * count + 1 + i - pc - 1));
  }
  instructions.push(op(RET | K, 0));
  for (let i = 0; i < count; i++) instructions.push(op(RET | K, i + 1));
  const compiled = compileBpf(bpfProgram(instructions));
  assert.equal(compiled.backend, "interpreted");
  assert.equal(compiled.matcher(new Uint8Array([7]), 0, 1, 1), 8);
  assert.equal(compiled.matcher(new Uint8Array([]), 0, 0, 0), 0);
});

/** xorshift32: deterministic pseudo-random numbers for the differential test. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

const RANDOM_CODES: number[] = [
  LD | W | ABS,
  LD | H | ABS,
  LD | B | ABS,
  LD | W | IND,
  LD | H | IND,
  LD | B | IND,
  LD | W | LEN,
  LDX | W | LEN,
  LDX | MSH | B,
  LD | IMM,
  LDX | IMM,
  LD | MEM,
  LDX | MEM,
  ST,
  STX,
  MISC | Bpf.TAX,
  MISC | Bpf.TXA,
  ALU | Bpf.NEG,
  JMP | Bpf.JA,
];
for (const o of [Bpf.ADD, Bpf.SUB, Bpf.MUL, Bpf.DIV, Bpf.MOD, Bpf.AND, Bpf.OR, Bpf.XOR]) {
  RANDOM_CODES.push(ALU | o | K, ALU | o | X);
}
RANDOM_CODES.push(ALU | Bpf.LSH | K, ALU | Bpf.LSH | X, ALU | Bpf.RSH | K, ALU | Bpf.RSH | X);
for (const o of [Bpf.JEQ, Bpf.JGT, Bpf.JGE, Bpf.JSET]) RANDOM_CODES.push(JMP | o | K, JMP | o | X);

function randomProgram(next: () => number): BpfInstruction[] {
  const length = 2 + (next() % 40);
  const instructions: BpfInstruction[] = [];
  for (let pc = 0; pc < length - 1; pc++) {
    const code = RANDOM_CODES[next() % RANDOM_CODES.length]!;
    const room = length - pc - 2;
    let k = next() % 3 === 0 ? next() : next() % 64;
    if ((code & 0x07) === ST || (code & 0x07) === STX || (code & 0xe0) === MEM) k %= 16;
    if (code === (ALU | Bpf.LSH | K) || code === (ALU | Bpf.RSH | K)) k %= 32;
    if ((code === (ALU | Bpf.DIV | K) || code === (ALU | Bpf.MOD | K)) && k === 0) k = 3;
    if (code === (JMP | Bpf.JA)) k = next() % (room + 1);
    const jt = next() % (room + 1);
    const jf = next() % (room + 1);
    instructions.push(op(code, k, (code & 0x07) === JMP ? jt : 0, (code & 0x07) === JMP ? jf : 0));
  }
  instructions.push(next() % 2 === 0 ? RET_A : op(RET | K, next()));
  return instructions;
}

Deno.test("compileBpf() agrees with runBpf() on 2,000 random programs and packets", () => {
  const next = random(0x5eed);
  const bytes = new Uint8Array(80);
  for (let n = 0; n < 2000; n++) {
    const program = bpfProgram(randomProgram(next));
    validateBpf(program);
    const matcher = compileBpf(program).matcher;
    for (let m = 0; m < 10; m++) {
      for (let i = 0; i < bytes.length; i++) bytes[i] = next() % 4 === 0 ? next() : next() % 16;
      const caplen = next() % 72;
      const wirelen = caplen + (next() % 3 === 0 ? next() % 2000 : 0);
      assert.equal(
        matcher(bytes, 4, caplen, wirelen),
        runBpf(program, bytes, 4, caplen, wirelen),
        `program ${n}, packet ${m}`,
      );
    }
  }
});
