// CSV of any table on the dashboard, made in the browser from what the table shows (so the file and the page
// never disagree). Cells a spreadsheet would run as a formula (= + - @, tab, CR first) get a leading ' .

const FORMULA = /^[=+\-@\t\r]/;

/** One CSV cell: formula-guarded, quoted when it holds a comma, quote, newline or edge spaces. */
export function csvCell(value) {
  let text = value === null || value === undefined ? "" : String(value);
  if (FORMULA.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\n\r]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows (arrays of cells) as CSV text, CRLF line ends as RFC 4180 says. */
export function toCsv(rows) {
  return rows.map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

/** The table's header and body cells as rows; cells marked .no-csv (buttons) are left out. */
export function tableRows(table) {
  const rows = [];
  for (const tr of table.querySelectorAll("thead tr, tbody tr")) {
    const cells = [...tr.children].filter((c) => !c.classList.contains("no-csv") && !c.hasAttribute("colspan"));
    if (cells.length) rows.push(cells.map((c) => (c.dataset.csv ?? c.textContent).trim()));
  }
  return rows;
}

/** Save `table` as `name`.csv (a download the browser names; nothing leaves the page). */
export function downloadTable(table, name) {
  const blob = new Blob([toCsv(tableRows(table))], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = `${name}.csv`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
