// Keys, values and headers: text when printable, pretty JSON when it parses, hex for binary (or
// when asked). The server cuts each field at 16 KiB for display.
import { el, fmtBytes } from './dom.js';

function hexOf(shown) {
  if (shown.hex !== null) return shown.hex;
  return Array.from(new TextEncoder().encode(shown.text), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Text when printable, pretty JSON when it parses, hex for binary (or when asked). */
export function renderBytes(shown, mode) {
  if (shown === null) return el('span', { class: 'muted' }, 'null');
  let text;
  let kind;
  if (mode === 'hex' || shown.text === null) {
    text = hexOf(shown).replace(/(..)(?!$)/g, '$1 ');
    kind = 'hex';
  } else {
    text = shown.text;
    kind = 'text';
    if (mode !== 'text' && /^\s*[[{]/.test(text)) {
      try {
        text = JSON.stringify(JSON.parse(text), null, 2);
        kind = 'json';
      } catch {
        /* not JSON: show as text */
      }
    }
  }
  return el(
    'div',
    {},
    el('pre', { class: 'data' }, text),
    el('span', { class: 'tag' }, kind),
    // The server cuts long fields at 16 KiB for display.
    shown.truncated ? el('span', { class: 'tag' }, 'first 16 KiB of ' + fmtBytes(shown.size)) : null,
  );
}
