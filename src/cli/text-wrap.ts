// Wrapping help text to a terminal width (80 columns unless said otherwise).

export const HELP_WIDTH = 80;

/** Joins words that must stay on one line ("default 1048588"). */
export const NBSP = '\u00a0';
export const keepTogether = (s: string) => s.replaceAll(' ', NBSP);

/** Splits a word longer than `max` after commas (long lists of values), else hard. */
function splitLong(word: string, max: number): string[] {
  const out: string[] = [];
  let rest = word;
  while (rest.length > max) {
    const comma = rest.lastIndexOf(',', max - 1);
    const cut = comma > 0 ? comma + 1 : max;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  out.push(rest);
  return out;
}

/**
 * Wraps `text` into lines of at most `width` columns: the first line starts with `first` (e.g.
 * "  start   "), later lines with `indent` spaces.
 */
export function wrap(text: string, opts: { indent: number; first?: string; width?: number }): string[] {
  const width = opts.width ?? HELP_WIDTH;
  const pad = ' '.repeat(opts.indent);
  const max = width - opts.indent;
  const lines: string[] = [];
  let line = opts.first ?? pad;
  // `line` ends where the next word goes without a separating space (after the prefix).
  let bare = true;
  for (const word of text.split(/[ \t\n]+/).filter(Boolean).flatMap((w) => splitLong(w, max))) {
    if (line.length + (bare ? 0 : 1) + word.length > width && line.trim() !== '') {
      lines.push(line.trimEnd());
      line = pad;
      bare = true;
    }
    line += (bare ? '' : ' ') + word;
    bare = false;
  }
  lines.push(line.trimEnd());
  return lines.map((l) => l.replaceAll(NBSP, ' '));
}

/** Two columns: `name` at 2 spaces, its description from column `at`, wrapped. */
export function twoColumns(rows: readonly (readonly [string, string])[], at: number): string[] {
  return rows.flatMap(([name, text]) => {
    const head = `  ${name}`;
    // A name that reaches into the second column gets a line of its own.
    if (head.length >= at - 1) return [head, ...wrap(text, { indent: at })];
    return wrap(text, { indent: at, first: head.padEnd(at) });
  });
}
