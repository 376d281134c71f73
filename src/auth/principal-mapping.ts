// ssl.principal.mapping.rules: Kafka's rules turning a client certificate's subject DN (RFC 2253,
// "CN=alice,O=Example") into the principal name. Comma-separated, first match wins:
//
//   RULE:<pattern>/<replacement>/[L|U]   pattern must match the whole DN; $1.. in the replacement
//                                        refer to its groups; L / U lower- or upper-case the result
//   DEFAULT                              the DN unchanged
//
// e.g. "RULE:^CN=([a-zA-Z0-9.]*).*$/$1/L,DEFAULT". '/' and '\' inside a pattern or replacement are
// escaped with '\'. A DN no rule matches fails the TLS authentication, as in Kafka. Patterns are
// Java regular expressions in Kafka; the common subset (groups, classes, quantifiers) is the same
// in JavaScript.

export interface PrincipalRule {
  kind: 'default' | 'rule';
  pattern?: RegExp;
  replacement?: string;
  caseChange?: 'L' | 'U' | '';
}

export class PrincipalMappingError extends Error {}

/** Parses the rules; throws PrincipalMappingError naming the offending rule. */
export function parsePrincipalMappingRules(text: string): PrincipalRule[] {
  const rules: PrincipalRule[] = [];
  let i = 0;
  const s = text.trim();
  const skipSpaces = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  // Reads up to the next unescaped '/', keeping escapes of anything but '/' for the regex.
  const readPart = (): string => {
    let out = '';
    while (i < s.length && s[i] !== '/') {
      if (s[i] === '\\' && i + 1 < s.length) {
        out += s[i + 1] === '/' ? '/' : s.slice(i, i + 2);
        i += 2;
        continue;
      }
      out += s[i++];
    }
    if (s[i] !== '/') throw new PrincipalMappingError(`Invalid rule: '${s.slice(0, i)}' is missing a '/'`);
    i++;
    return out;
  };
  while (i < s.length) {
    skipSpaces();
    const start = i;
    if (s.startsWith('DEFAULT', i)) {
      i += 'DEFAULT'.length;
      rules.push({ kind: 'default' });
    } else if (s.startsWith('RULE:', i)) {
      i += 'RULE:'.length;
      const pattern = readPart();
      const replacement = readPart();
      let caseChange: 'L' | 'U' | '' = '';
      if (s[i] === 'L' || s[i] === 'U') caseChange = s[i++] as 'L' | 'U';
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${pattern})$`);
      } catch (err) {
        throw new PrincipalMappingError(`Invalid rule pattern '${pattern}': ${(err as Error).message}`);
      }
      rules.push({ kind: 'rule', pattern: re, replacement, caseChange });
    } else if (s[i] !== ',') {
      const end = s.indexOf(',', i);
      throw new PrincipalMappingError(`Invalid rule: '${s.slice(start, end < 0 ? s.length : end)}' (expected RULE:pattern/replacement/[LU] or DEFAULT)`);
    }
    skipSpaces();
    if (i < s.length) {
      if (s[i] !== ',') throw new PrincipalMappingError(`Invalid rule: unmatched text '${s.slice(i)}'`);
      i++;
    }
  }
  return rules;
}

/** The principal name for a DN, or null when no rule applies (authentication then fails). */
export function mapPrincipal(rules: readonly PrincipalRule[], dn: string): string | null {
  for (const r of rules) {
    if (r.kind === 'default') return dn;
    if (!r.pattern!.test(dn)) continue;
    const name = dn.replace(r.pattern!, r.replacement!);
    return r.caseChange === 'L' ? name.toLowerCase() : r.caseChange === 'U' ? name.toUpperCase() : name;
  }
  return null;
}
