import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { openTestDatabase, testEngines } from "../../tests/support/db.ts";
import {
  dbDetailsVisible,
  requestLogFilter,
  rowVisible,
  spanAttributesVisible,
} from "./data_filter.ts";
import { MODULE_KEYS, type ModuleKey } from "./modules.ts";

const PACKET = 0, EBPF = 3, OTEL = 4;
const SOURCES = [PACKET, 1, EBPF, OTEL];
const PROTOCOLS = [0, 20, 21, 41, 59, 60, 61, 64, 68, 69, 80, 81, 82, 83, 100, 120, 121, 122];

/** DESIGN §1's table, written out by hand rather than derived from modules.ts. */
function expected(modules: ReadonlySet<ModuleKey>, source: number, protocol: number): boolean {
  const db = (protocol >= 60 && protocol <= 68) || protocol === 80 || protocol === 81 ||
    protocol === 82;
  return (modules.has("network_monitoring") && source === PACKET &&
    (protocol === 20 || protocol === 120)) ||
    (modules.has("call_monitoring") && (source === PACKET || source === EBPF)) ||
    (modules.has("db_monitoring") && (source === PACKET || source === EBPF) && db) ||
    (modules.has("app_monitoring") && source === OTEL);
}

const SETS: ModuleKey[][] = [
  [],
  ...MODULE_KEYS.map((k) => [k]),
  ["network_monitoring", "db_monitoring"],
  ["network_monitoring", "app_monitoring"],
  ["call_monitoring", "db_monitoring"],
  ["db_monitoring", "app_monitoring"],
  [...MODULE_KEYS],
];

Deno.test("rowVisible() matches DESIGN §1 for every module set, source and protocol", () => {
  for (const set of SETS) {
    const modules = new Set(set);
    for (const signalSource of SOURCES) {
      for (const l7Protocol of PROTOCOLS) {
        assert.equal(
          rowVisible(modules, { signalSource, l7Protocol }),
          expected(modules, signalSource, l7Protocol),
          `${set.join("+") || "none"} source ${signalSource} protocol ${l7Protocol}`,
        );
      }
    }
  }
});

Deno.test("dbDetailsVisible() and spanAttributesVisible() follow db_monitoring and app_monitoring", () => {
  assert.equal(dbDetailsVisible(new Set(["call_monitoring", "network_monitoring"])), false);
  assert.equal(dbDetailsVisible(new Set(["db_monitoring"])), true);
  assert.equal(spanAttributesVisible(new Set(["call_monitoring"])), false);
  assert.equal(spanAttributesVisible(new Set(["app_monitoring"])), true);
});

for (const engine of testEngines()) {
  Deno.test(`requestLogFilter() selects exactly the visible rows (${engine})`, async () => {
    const tdb = await openTestDatabase(engine);
    try {
      const { database } = tdb;
      await database.rows(sql`create temporary table request_log_t (
        id serial primary key, signal_source smallint not null, l7_protocol smallint not null)`);
      const rows = SOURCES.flatMap((s) => PROTOCOLS.map((p) => sql`(${s}, ${p})`));
      await database.rows(
        sql`insert into request_log_t (signal_source, l7_protocol) values ${
          sql.join(rows, sql`, `)
        }`,
      );
      const columns = {
        signalSource: sql.raw("signal_source"),
        l7Protocol: sql.raw("l7_protocol"),
      };
      for (const set of SETS) {
        const modules = new Set(set);
        const got = await database.rows<{ s: number; p: number }>(sql`
          select signal_source as s, l7_protocol as p from request_log_t
          where ${requestLogFilter(modules, columns)} order by id`);
        const want = SOURCES.flatMap((s) =>
          PROTOCOLS.filter((p) => expected(modules, s, p)).map((p) => ({ s, p }))
        );
        assert.deepEqual(
          got.map((r) => `${r.s}/${r.p}`),
          want.map((r) => `${r.s}/${r.p}`),
          set.join("+") || "none",
        );
      }
      // It composes with the caller's own filters.
      const [n] = await database.rows<{ n: number | string }>(sql`
        select count(*) as n from request_log_t
        where l7_protocol = 120 and ${requestLogFilter(new Set(["network_monitoring"]), columns)}`);
      assert.equal(Number(n?.n), 1);
    } finally {
      await tdb.dispose();
    }
  });
}
