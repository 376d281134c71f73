// ssl.principal.mapping.rules parsing and application, with the examples of Kafka's documentation.
import { describe, expect, it } from 'vitest';
import { mapPrincipal, parsePrincipalMappingRules } from '../../src/auth/principal-mapping.js';

const map = (rules: string, dn: string) => mapPrincipal(parsePrincipalMappingRules(rules), dn);

describe('ssl.principal.mapping.rules', () => {
  it('DEFAULT keeps the DN', () => {
    expect(map('DEFAULT', 'CN=alice,O=Example')).toBe('CN=alice,O=Example');
  });

  it("applies Kafka's documented rules, first match wins, with L and U", () => {
    const rules = 'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,DEFAULT';
    expect(map(rules, 'CN=kafka-svc,OU=ServiceUsers,O=Unknown,L=Unknown,ST=Unknown,C=Unknown')).toBe('kafka-svc');
    expect(map(rules, 'CN=Duke,OU=JavaSoft,O=Sun Microsystems,L=SF,ST=CA,C=US')).toBe('duke@javasoft');
    expect(map(rules, 'cn=Alice.B,dc=example')).toBe('alice.b');
    expect(map('RULE:^CN=([a-z]+)$/$1/U', 'CN=bob')).toBe('BOB');
  });

  it('accepts spaces around commas and escaped slashes', () => {
    expect(map('  RULE:^CN=(.*)\\/x$/$1/ ,  DEFAULT ', 'CN=a/x')).toBe('a');
    expect(map('RULE:^CN=(.*)$/svc\\/$1/', 'CN=a')).toBe('svc/a');
  });

  it('no applicable rule gives null (authentication fails)', () => {
    expect(map('RULE:^CN=admin$/admin/', 'CN=alice')).toBeNull();
  });

  it.each(['RULE:^CN=(.*)$', 'RULE:^CN=(.*)$/$1/X', 'SOMETHING', 'RULE:^CN=((.*$/$1/'])('rejects %s', (rules) => {
    expect(() => parsePrincipalMappingRules(rules)).toThrow(/Invalid rule/);
  });
});
