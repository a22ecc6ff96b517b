// CSV (RFC 4180) for the member importer, parsed by csv-parse, with the 1-based source line on
// which every record starts, so validation errors in a member export can point at the line to
// fix. Quoted fields, doubled quotes, CRLF, newlines inside quotes and a leading BOM are the
// library's; blank lines are skipped; records may differ in length (the importer says which).
//
// Lines are counted here from the byte offset at which each record ends (csv-parse's `bytes`),
// not taken from its own line counter, which counts a CRLF inside a quoted field as two lines.
// An error is reported on the line where the record that fails begins.
//
// The dashboard's members import runs this same file in the browser (server/web/src/members.ts),
// so it takes csv-parse's self-contained ES module build (its own Buffer, no Node built-ins) and
// counts bytes with TextEncoder rather than Node's Buffer.
import { CsvError, parse } from 'csv-parse/browser/esm/sync';

export interface CsvRecord {
  line: number;
  fields: string[];
}

export interface CsvResult {
  records: CsvRecord[];
  error: { line: number; message: string } | null;
}

/** csv-parse's error codes in the words the importer has always used. */
const MESSAGES: { [code: string]: string } = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is not closed',
  INVALID_OPENING_QUOTE: 'a quote may only start a field',
  CSV_INVALID_CLOSING_QUOTE: 'unexpected character after a closing quote',
};

const CR = 0x0d;
const LF = 0x0a;

/**
 * Maps byte offsets (increasing from call to call) to the line of the first byte at or after
 * them that is not a line break: where a record that begins there (after skipped blank lines)
 * starts. CRLF, LF and a lone CR each end one line.
 */
function lineFinder(bytes: Uint8Array): (offset: number) => number {
  let pos = 0;
  let line = 1;
  return (offset) => {
    for (;;) {
      if (pos >= bytes.length) return line;
      const b = bytes[pos];
      if (pos >= offset && b !== CR && b !== LF) return line;
      pos++;
      if (b === LF || (b === CR && bytes[pos] !== LF)) line++;
    }
  };
}

export function parseCsv(text: string): CsvResult {
  // csv-parse counts UTF-8 bytes; so does TextEncoder
  const lineOf = lineFinder(new TextEncoder().encode(text));
  const records: CsvRecord[] = [];
  // Where the next record begins: the end (line break included) of the last one parsed.
  let next = 0;
  try {
    parse(text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      // every kind of line break ends a record, also in a file whose lines were edited apart
      record_delimiter: ['\r\n', '\n', '\r'],
      on_record: (fields, context) => {
        records.push({ line: lineOf(next), fields });
        next = context.bytes;
        return null;
      },
    });
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    return { records, error: { line: lineOf(next), message: MESSAGES[e.code] ?? e.message } };
  }
  return { records, error: null };
}
