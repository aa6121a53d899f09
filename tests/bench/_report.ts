// Statistics and formatting for the benchmark: medians over rounds, ratios
// taken within a round, and the same tables as text and as Markdown.

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[middle]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Formats a rate with an SI suffix: 1234567 -> "1.23 M". */
export function si(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const units: [number, string][] = [[1e9, " G"], [1e6, " M"], [1e3, " k"]];
  for (const [scale, unit] of units) {
    if (Math.abs(value) >= scale) return (value / scale).toPrecision(3) + unit;
  }
  return value.toPrecision(3);
}

/** Formats a ratio: 12.345 -> "12.3x". */
export function times(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return (value >= 100 ? value.toFixed(0) : value.toPrecision(3)) + "x";
}

/** A table: a title, column headers, rows of cells, and notes under it. */
export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes?: readonly string[];
}

function isNumeric(cell: string): boolean {
  return /^[-0-9.]/.test(cell) && !/^[-]+$/.test(cell);
}

/** Renders a table as aligned plain text. */
export function textTable(table: Table): string {
  const widths = table.columns.map((column, i) =>
    Math.max(column.length, ...table.rows.map((row) => (row[i] ?? "").length))
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) =>
      isNumeric(cell) && i > 0
        ? cell.padStart(widths[i]!)
        : cell.padEnd(widths[i]!)
    ).join("  ").trimEnd();
  const out = [table.title, line(table.columns)];
  out.push(widths.map((width) => "-".repeat(width)).join("  "));
  for (const row of table.rows) out.push(line(row));
  for (const note of table.notes ?? []) out.push("  " + note);
  return out.join("\n");
}

/** Renders a table as GitHub Markdown. */
export function markdownTable(table: Table): string {
  const escape = (cell: string) => cell.replaceAll("|", "\\|");
  const out = [`**${table.title}**`, ""];
  out.push("| " + table.columns.map(escape).join(" | ") + " |");
  out.push(
    "|" + table.columns.map((_, i) => i === 0 ? " --- " : " ---: ").join("|") +
      "|",
  );
  for (const row of table.rows) {
    out.push("| " + row.map(escape).join(" | ") + " |");
  }
  if (table.notes?.length) {
    out.push("");
    for (const note of table.notes) out.push(note);
  }
  return out.join("\n");
}
