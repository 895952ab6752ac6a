/**
 * SQL statement helpers for the database parsers: obfuscation (literals → `?`, so statements
 * group and carry no data) and the statement's keyword (SELECT, INSERT, …).
 */

function isIdentChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 ||
    c === 36 || c >= 128;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Replaces string literals ('…' with '' or \' escapes), numbers (integers, decimals, exponents,
 * 0x hex) and `$n` placeholders stay; identifiers, keywords, "quoted identifiers", `backquoted`
 * names and comments are kept. `WHERE id = 42 AND name = 'x'` → `WHERE id = ? AND name = ?`.
 */
export function obfuscateSql(sql: string): string {
  let out = "";
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 39) { // '
      i++;
      while (i < n) {
        const d = sql.charCodeAt(i);
        if (d === 92) i += 2;
        else if (d === 39 && sql.charCodeAt(i + 1) === 39) i += 2;
        else if (d === 39) break;
        else i++;
      }
      i++;
      out += "?";
    } else if (c === 34 || c === 96) { // "identifier" or `identifier`
      const close = sql.indexOf(sql[i]!, i + 1);
      const end = close < 0 ? n : close + 1;
      out += sql.slice(i, end);
      i = end;
    } else if (c === 47 && sql.charCodeAt(i + 1) === 42) { // /* comment */
      const close = sql.indexOf("*/", i + 2);
      const end = close < 0 ? n : close + 2;
      out += sql.slice(i, end);
      i = end;
    } else if (c === 45 && sql.charCodeAt(i + 1) === 45) { // -- comment
      const close = sql.indexOf("\n", i);
      const end = close < 0 ? n : close;
      out += sql.slice(i, end);
      i = end;
    } else if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      const prev = i > 0 ? sql.charCodeAt(i - 1) : 32;
      if (isIdentChar(prev)) { // part of a name (t1) or a placeholder ($1)
        out += sql[i];
        i++;
        continue;
      }
      i++;
      while (i < n) {
        const d = sql.charCodeAt(i);
        const exponentSign = (d === 43 || d === 45) &&
          (sql.charCodeAt(i - 1) === 101 || sql.charCodeAt(i - 1) === 69);
        if (isIdentChar(d) || d === 46 || exponentSign) i++;
        else break;
      }
      out += "?";
    } else {
      out += sql[i];
      i++;
    }
  }
  return out;
}

/** The statement's first keyword, upper-case (`SELECT`), skipping comments and `(`; "" if none. */
export function sqlKeyword(sql: string): string {
  let i = 0;
  const n = sql.length;
  for (;;) {
    while (i < n && (sql.charCodeAt(i) <= 32 || sql[i] === "(")) i++;
    if (sql.startsWith("/*", i)) {
      const close = sql.indexOf("*/", i + 2);
      if (close < 0) return "";
      i = close + 2;
    } else if (sql.startsWith("--", i)) {
      const close = sql.indexOf("\n", i);
      if (close < 0) return "";
      i = close + 1;
    } else break;
  }
  let j = i;
  while (j < n && isIdentChar(sql.charCodeAt(j)) && !isDigit(sql.charCodeAt(i))) j++;
  return sql.slice(i, j).toUpperCase();
}
