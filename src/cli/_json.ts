// `subscribe --json` embeds a JSON body as JSON. It splices the body's own
// text into the output line rather than a re-serialised value, so numbers
// keep every digit (JSON.parse would round 12345678901234567890) and keys
// their order and duplicates; only the whitespace between tokens goes, so
// that a pretty-printed body still fits on one line.

/** Whether a content-type header names JSON: `application/json` or `+json`. */
export function isJsonType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = contentType.split(";", 1)[0]!.trim().toLowerCase();
  return type === "application/json" || type.endsWith("+json");
}

const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/** The four whitespace characters JSON allows between tokens. */
function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/**
 * The text of a JSON document on one line, the whitespace between its
 * tokens removed and everything else as written; undefined when the text is
 * not JSON. Control characters cannot appear raw inside a valid JSON string,
 * so the result never holds a line break.
 */
export function compactJson(text: string): string | undefined {
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  let out = "";
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (isJsonSpace(code)) {
      out += text.slice(from, i);
      from = i + 1;
    }
  }
  return out + text.slice(from);
}
