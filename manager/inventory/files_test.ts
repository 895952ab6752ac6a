import assert from "node:assert/strict";
import { parseCsv } from "./csv.ts";
import { exportCsv, parseCsvImport, parseJsonImport } from "./files.ts";
import { InventoryError } from "./store.ts";

function problems(fn: () => unknown): { line?: number; message: string }[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InventoryError, String(err));
    return err.problems;
  }
  assert.fail("expected an InventoryError");
}

Deno.test("parseCsv() numbers records by the line they start on, across quoted newlines", () => {
  const records = parseCsv('a,b\r\n"x\ny",2\n\n"q""uote",3');
  assert.deepEqual(records, [
    { line: 1, cells: ["a", "b"] },
    { line: 2, cells: ["x\ny", "2"] },
    { line: 5, cells: ['q"uote', "3"] },
  ]);
});

Deno.test("parseCsvImport() reports unknown columns, kinds and short rows by line", () => {
  assert.deepEqual(problems(() => parseCsvImport("kind,name,colour\n")).map((p) => p.line), [1]);
  const p = problems(() => parseCsvImport("kind,name\nregion,a\nplanet,b\nregion\n"));
  assert.deepEqual(p.map((x) => x.line), [3, 4]);
  assert.match(p[0]!.message, /unknown kind "planet"/);
  assert.match(p[1]!.message, /1 cells, the header has 2/);
  assert.deepEqual(problems(() => parseCsvImport('kind,name\n"region,a\n')).map((x) => x.line), [
    2,
  ]);
  // Without a kind column, the kind chosen for the whole file applies.
  assert.equal(parseCsvImport("name,cidr\nx,10.0.0.0/8\n", "subnet")[0]!.kind, "subnet");
});

Deno.test("parseJsonImport() gives each item the line of its opening brace", () => {
  const items = parseJsonImport(
    '{\n "hosts": [\n  {"name": "a", "ips": ["10.0.0.1"]},\n\n  {"name": "b", "ips": []}\n ]\n}',
  );
  assert.deepEqual(items.map((i) => [i.kind, i.line]), [["host", 3], ["host", 5]]);
  const arr = parseJsonImport('[{"kind": "region", "name": "x"}, {"kind": "vpcs", "name": "y"}]');
  assert.deepEqual(arr.map((i) => i.kind), ["region", "vpc"]);
  assert.match(problems(() => parseJsonImport("{nope"))[0]!.message, /not valid JSON/);
  assert.match(problems(() => parseJsonImport('{"planets": []}'))[0]!.message, /not a list of/);
});

Deno.test("exportCsv() quotes what needs quoting and reads back the same", () => {
  const text = exportCsv({
    region: [{ id: 1, name: "eu", description: 'Frankfurt, "FRA"' }],
    vpc: [],
    subnet: [],
    host: [{
      id: 2,
      name: "h",
      ips: ["10.0.0.1", "::1"],
      region: "eu",
      vpc: "",
      labels: { a: "b" },
    }],
    service: [],
    pod: [],
  });
  const items = parseCsvImport(text);
  assert.equal(items[0]!.input.description, 'Frankfurt, "FRA"');
  assert.deepEqual([items[1]!.input.ips, items[1]!.input.labels], ["10.0.0.1 ::1", "a=b"]);
});
