/** Make untrusted text safe for one terminal line. */

/**
 * Replace C0/C1 control characters (line breaks, escape sequences, NUL) by `\uXXXX`,
 * so a name or message from a server cannot break a line or drive the terminal.
 */
export function escapeControlCharacters(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    out += code < 0x20 || (code >= 0x7f && code <= 0x9f) ? `\\u${code.toString(16).padStart(4, "0")}` : char;
  }
  return out;
}
