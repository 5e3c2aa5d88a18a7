import { IndicatorSet } from '../../lib/row/indicators';

test('a bracketed IPv6 host with a port in a domain field (an IPv6 Host header) reaches the IP array', () => {
  const s = new IndicatorSet();
  s.add('domain', '[2001:db8::1]:8080');
  const row: Record<string, unknown> = {};
  s.assignTo(row);
  expect(row.p_any_ip_addresses).toEqual(['2001:db8::1']);
});
