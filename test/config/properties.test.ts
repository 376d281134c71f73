import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseProperties, parsePropertiesEntries } from '../../src/config/properties.js';

const parse = (text: string) => Object.fromEntries(parseProperties(text));

describe('parseProperties (java.util.Properties format)', () => {
  it('accepts =, : and whitespace separators with surrounding blanks', () => {
    expect(parse('a=1\nb: 2\nc 3\n  d  =  4  \ne\t:\t5\nf=\n')).toEqual({ a: '1', b: '2', c: '3', d: '4  ', e: '5', f: '' });
  });

  it('skips # and ! comments and blank lines, but only at the start of a line', () => {
    expect(parse('# comment\n   ! also comment\n\n\t\nkey=value # not a comment\n')).toEqual({ key: 'value # not a comment' });
  });

  it('joins continuation lines and drops the continuation line leading blanks', () => {
    expect(parse('listeners=PLAINTEXT://a:1,\\\n     SSL://b:2\nnext=x')).toEqual({ listeners: 'PLAINTEXT://a:1,SSL://b:2', next: 'x' });
  });

  it('treats an even number of trailing backslashes as literal backslashes', () => {
    expect(parse('path=C:\\\\\nother=1')).toEqual({ path: 'C:\\', other: '1' });
  });

  it('does not continue comment lines', () => {
    expect(parse('# comment \\\nkey=v')).toEqual({ key: 'v' });
  });

  it('a continuation line that looks like a comment is part of the value', () => {
    expect(parse('k=a\\\n#b')).toEqual({ k: 'a#b' });
  });

  it('handles escapes in keys and values', () => {
    expect(parse('my\\ key\\=x=tab\\there\\nnl \\u00e9 \\q')).toEqual({ 'my key=x': 'tab\there\nnl é q' });
  });

  it('only the first separator splits; later = and : belong to the value', () => {
    expect(parse('a=b=c:d')).toEqual({ a: 'b=c:d' });
    expect(parse('a : = b')).toEqual({ a: '= b' });
  });

  it('handles CRLF and CR line endings and a BOM', () => {
    expect(parse('\uFEFFa=1\r\nb=2\rc=3')).toEqual({ a: '1', b: '2', c: '3' });
  });

  it('a key alone has an empty value', () => {
    expect(parse('lonely')).toEqual({ lonely: '' });
  });

  it('last duplicate wins, and entries keep their line numbers', () => {
    expect(parse('a=1\na=2')).toEqual({ a: '2' });
    const entries = parsePropertiesEntries('# c\n\nx=1\ny=a,\\\n b\nz=3');
    expect(entries.map((e) => [e.key, e.line])).toEqual([
      ['x', 3],
      ['y', 4],
      ['z', 6],
    ]);
  });

  it('a malformed \\u escape is a ConfigError naming the line', () => {
    expect(() => parse('a=ok\nb=\\u12')).toThrow(ConfigError);
    expect(() => parse('a=ok\nb=\\u12')).toThrow(/line 2/);
  });
});
