/**
 * Splits a `run:` command string into words, without a shell.
 *
 * @module
 */

/**
 * Splits on whitespace; single quotes keep text as is, double quotes and
 * backslashes group and escape like a POSIX shell (no expansion at all).
 *
 * @throws {TypeError} on an unterminated quote or a trailing backslash.
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new TypeError(`unterminated ' quote in ${JSON.stringify(text)}`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "\\" && j + 1 < text.length && /["\\$`]/.test(text[j + 1])) j++;
        word += text[j];
      }
      if (j >= text.length) throw new TypeError(`unterminated " quote in ${JSON.stringify(text)}`);
      inWord = true;
      i = j;
    } else if (c === "\\") {
      if (i + 1 >= text.length) {
        throw new TypeError(`trailing backslash in ${JSON.stringify(text)}`);
      }
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
