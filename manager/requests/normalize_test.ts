import assert from "node:assert/strict";
import { normalizedStatement, normalizeSql } from "./normalize.ts";

Deno.test("normalizeSql() replaces literals and folds lists", () => {
  assert.equal(normalizeSql("select * from t where id = 7"), "select * from t where id = ?");
  assert.equal(
    normalizeSql("SELECT a FROM t WHERE name = 'O''Brien' AND x IN (1, 2,3)"),
    "SELECT a FROM t WHERE name = ? AND x IN (?)",
  );
  assert.equal(
    normalizeSql("insert into t values (1, 'a'), (2, 'b')"),
    "insert into t values (?)",
  );
  assert.equal(
    normalizeSql("select $1, $2 from t2 where v = -3.5e2"),
    "select ?, ? from t2 where v = ?",
  );
  assert.equal(normalizeSql('select $$x$$, $tag$y$tag$ from "T1"'), 'select ?, ? from "T1"');
  assert.equal(
    normalizeSql("select 1 -- note\n  /* c */ from   t1"),
    "select ? from t1",
  );
  assert.equal(normalizeSql("select E'a\\'b', x'ff' from t"), "select ?, ? from t");
});

Deno.test("normalizeSql() never throws on malformed input", () => {
  for (const text of ["'", "select 'abc", "/* x", "$a$ never", '"x', "\\", "", "--"]) {
    assert.equal(typeof normalizeSql(text), "string");
  }
  assert.equal(normalizeSql("select 'abc"), "select ?");
  assert.ok(normalizeSql("select " + "1, ".repeat(5000) + "2").length <= 2048);
});

Deno.test("normalizedStatement() by protocol: SQL text, other DB commands, else empty", () => {
  const r = (l7Protocol: number, requestType: string, requestResource: string) =>
    normalizedStatement({ l7Protocol, requestType, requestResource });
  assert.equal(r(60, "COM_QUERY", "select 1"), "select ?");
  assert.equal(r(61, "Parse", ""), "Parse");
  assert.equal(r(80, "get", "GET k"), "GET");
  assert.equal(r(20, "GET", "/x?id=1"), "");
});
