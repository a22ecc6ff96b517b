// The text a signed request is made of: JSON in plain ASCII, so the unit (8-bit strings) and the
// server (UTF-8) sign and check the very same bytes.

/** JSON with every non-ASCII character escaped, so bytes match on both sides. */
export function asciiJson(value: unknown): string {
  const s = JSON.stringify(value);
  let plain = true;
  for (let i = 0; i < s.length && plain; i++) if (s.charCodeAt(i) > 127) plain = false;
  if (plain) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) out += s.charAt(i);
    else {
      const h = '000' + c.toString(16);
      out += '\\u' + h.substring(h.length - 4);
    }
  }
  return out;
}
