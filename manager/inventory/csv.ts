// RFC 4180 CSV, read with the line each record starts on (a quoted cell may span lines), so that
// an import names the line a person sees in their editor.

export interface CsvRecord {
  /** 1-based line of the record's first character. */
  line: number;
  cells: string[];
}

export class CsvError extends Error {
  override name = "CsvError";
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let line = 1;
  let i = 0;
  while (i < src.length) {
    const start = line;
    const cells: string[] = [];
    let cell = "";
    let quoted = false;
    let atCellStart = true;
    let ended = false;
    while (i < src.length) {
      const ch = src[i]!;
      if (quoted) {
        if (ch === '"') {
          if (src[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          quoted = false;
          i++;
          const next = src[i];
          if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
            throw new CsvError(line, "unexpected character after a closing quote");
          }
          continue;
        }
        if (ch === "\n") line++;
        cell += ch;
        i++;
        continue;
      }
      if (ch === '"' && atCellStart) {
        quoted = true;
        atCellStart = false;
        i++;
        continue;
      }
      if (ch === ",") {
        cells.push(cell);
        cell = "";
        atCellStart = true;
        i++;
        continue;
      }
      if (ch === "\r" || ch === "\n") {
        i += ch === "\r" && src[i + 1] === "\n" ? 2 : 1;
        line++;
        ended = true;
        break;
      }
      cell += ch;
      atCellStart = false;
      i++;
    }
    if (quoted) throw new CsvError(start, "a quoted cell is not closed");
    cells.push(cell);
    if (!(cells.length === 1 && cells[0] === "")) records.push({ line: start, cells });
    if (!ended) break;
  }
  return records;
}

function cellText(value: string): string {
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value)
    ? `"${value.replaceAll('"', '""')}"`
    : value;
}

export function formatCsvRow(cells: readonly string[]): string {
  return cells.map(cellText).join(",") + "\r\n";
}
