// Parses a Kafka `sasl.jaas.config` value: one JAAS login-module entry,
//   org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" user_alice="secret";
// i.e. a module class, a control flag, then key=value options (values quoted or bare), ending in ';'.
// Kafka's JaasConfig rejects more than one entry in this property; so do we.
import { ConfigError } from '../config/errors.js';

export interface JaasEntry {
  loginModule: string;
  flag: 'required' | 'requisite' | 'sufficient' | 'optional';
  options: Map<string, string>;
}

const FLAGS = new Set(['required', 'requisite', 'sufficient', 'optional']);

export function parseJaasConfig(key: string, text: string): JaasEntry {
  const fail = (why: string): never => {
    throw ConfigError.invalid(key, '[hidden]', `Invalid JAAS config: ${why}`);
  };
  const tokens = tokenize(text, fail);
  let i = 0;
  const next = () => tokens[i++];
  const module = next();
  if (module === undefined || module.quoted || module.text === ';') fail('expected a login module class name');
  const flag = next();
  if (flag === undefined || flag.quoted || !FLAGS.has(flag.text.toLowerCase())) {
    fail(`expected a control flag (required, requisite, sufficient, optional) after ${module!.text}`);
  }
  const options = new Map<string, string>();
  for (;;) {
    const t = next();
    if (t === undefined) fail("the entry must end with ';'");
    if (!t!.quoted && t!.text === ';') break;
    const eq = next();
    const value = next();
    if (t!.quoted || eq === undefined || eq.quoted || eq.text !== '=' || value === undefined || (!value.quoted && (value.text === ';' || value.text === '='))) {
      fail(`expected key=value, got '${t!.text}'`);
    }
    options.set(t!.text, value!.text);
  }
  if (i < tokens.length) fail('only one login module entry is allowed in sasl.jaas.config');
  return { loginModule: module!.text, flag: flag!.text.toLowerCase() as JaasEntry['flag'], options };
}

interface Token {
  text: string;
  quoted: boolean;
}

function tokenize(s: string, fail: (why: string) => never): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === ';' || c === '=') {
      out.push({ text: c, quoted: false });
      i++;
    } else if (c === '"' || c === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= s.length) fail('unterminated quoted value');
        const d = s[i]!;
        if (d === c) break;
        if (d === '\\' && i + 1 < s.length) {
          text += s[i + 1];
          i += 2;
          continue;
        }
        text += d;
        i++;
      }
      i++;
      out.push({ text, quoted: true });
    } else {
      let text = '';
      while (i < s.length && !/[\s;="']/.test(s[i]!)) text += s[i++];
      out.push({ text, quoted: false });
    }
  }
  return out;
}

/** PlainLoginModule's users: every `user_<name>="<password>"` option. */
export function plainUsers(entry: JaasEntry): Map<string, string> {
  const users = new Map<string, string>();
  for (const [k, v] of entry.options) if (k.startsWith('user_') && k.length > 5) users.set(k.slice(5), v);
  return users;
}
