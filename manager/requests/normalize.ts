/**
 * Normalized statements for the DB views: a statement with its literals replaced by `?`, so
 * that `select * from t where id = 7` and `… id = 8` count as one statement. Computed once at
 * ingest (`normalized_statement`), never per query.
 */

/** DESIGN §1: the SQL family (60–68). */
export function isSqlProtocol(l7Protocol: number): boolean {
  return l7Protocol >= 60 && l7Protocol <= 68;
}

/** DESIGN §1: the database protocols (SQL family, Redis 80, MongoDB 81, Memcached 82). */
export function isDatabaseProtocol(l7Protocol: number): boolean {
  return isSqlProtocol(l7Protocol) || (l7Protocol >= 80 && l7Protocol <= 82);
}

/** Longest normalized statement kept: the views group by it. */
export const MAX_NORMALIZED_CHARS = 2_048;

const IDENT = /[A-Za-z0-9_$]/;

/**
 * Replaces SQL literals by `?`: quoted strings ('…' with '' and backslash escapes, E'…',
 * $tag$…$tag$), numbers (not inside identifiers), hex and bind markers ($1, :name, ?), folds a
 * list of `?` into one (`in (?, ?, ?)` → `in (?)`), drops comments and squeezes whitespace.
 * Identifiers in double quotes or backticks are kept. Never throws on malformed input: an
 * unterminated literal ends the statement.
 */
export function normalizeSql(text: string): string {
  let out = "";
  let i = 0;
  const n = text.length;
  const put = (s: string) => {
    if (s === " " && (out === "" || out.endsWith(" "))) return;
    out += s;
  };
  while (i < n && out.length < MAX_NORMALIZED_CHARS) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === "-" && next === "-") {
      while (i < n && text[i] !== "\n") i++;
      put(" ");
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
      put(" ");
    } else if (
      c === "'" || ((c === "E" || c === "e" || c === "N" || c === "n" || c === "X" ||
        c === "x" || c === "B" || c === "b") && next === "'" && !IDENT.test(text[i - 1] ?? " "))
    ) {
      i = c === "'" ? i + 1 : i + 2;
      while (i < n) {
        if (text[i] === "\\") i += 2;
        else if (text[i] === "'" && text[i + 1] === "'") i += 2;
        else if (text[i] === "'") break;
        else i++;
      }
      i++;
      put("?");
    } else if (c === "$" && /[A-Za-z_$]/.test(next ?? "") && dollarTag(text, i) !== undefined) {
      const tag = dollarTag(text, i)!;
      const end = text.indexOf(tag, i + tag.length);
      i = end < 0 ? n : end + tag.length;
      put("?");
    } else if (c === "$" && /[0-9]/.test(next ?? "")) {
      i++;
      while (i < n && /[0-9]/.test(text[i]!)) i++;
      put("?");
    } else if (c === '"' || c === "`") {
      const end = text.indexOf(c, i + 1);
      const stop = end < 0 ? n : end + 1;
      put(text.slice(i, stop));
      i = stop;
    } else if (/[0-9]/.test(c) && !IDENT.test(text[i - 1] ?? " ")) {
      i++;
      while (i < n && /[0-9a-fA-FxX.eE_]/.test(text[i]!)) i++;
      put("?");
    } else if (c === "-" && /[0-9]/.test(next ?? "") && /[\s(,=<>+*/]/.test(lastChar(out))) {
      i++;
    } else if (/\s/.test(c)) {
      i++;
      put(" ");
    } else {
      put(c);
      i++;
    }
  }
  return foldLists(out.trim()).slice(0, MAX_NORMALIZED_CHARS);
}

function lastChar(s: string): string {
  return s.length === 0 ? " " : s[s.length - 1]!;
}

/** `$tag$` (or `$$`) starting at `i`, when it is a complete dollar-quote opener. */
function dollarTag(text: string, i: number): string | undefined {
  const m = /^\$[A-Za-z_]?[A-Za-z0-9_]*\$/.exec(text.slice(i, i + 64));
  return m?.[0];
}

/** `(?, ?, ?)` and `VALUES (?, ?), (?, ?)` fold to one `(?)` / `(?)`. */
function foldLists(s: string): string {
  return s
    .replace(/\(\s*\?(\s*,\s*\?)*\s*\)/g, "(?)")
    .replace(/\(\?\)(\s*,\s*\(\?\))+/g, "(?)");
}

/**
 * The normalized statement of a request-log row: SQL statements without their literals, the
 * command of other database protocols (Redis `GET`, MongoDB `find`), '' for the rest.
 */
export function normalizedStatement(
  record: { l7Protocol: number; requestType: string; requestResource: string },
): string {
  if (isSqlProtocol(record.l7Protocol)) {
    return record.requestResource === ""
      ? record.requestType
      : normalizeSql(record.requestResource);
  }
  if (isDatabaseProtocol(record.l7Protocol)) return record.requestType.toUpperCase();
  return "";
}
