import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutboundGuard, OutboundRefused } from '../../src/outbound/outbound-guard';

describe(OutboundGuard.name, () => {
  const strict = new OutboundGuard({ allowPrivate: false, allowlist: [] });
  const open = new OutboundGuard({ allowPrivate: true, allowlist: [] });
  const listed = new OutboundGuard({ allowPrivate: false, allowlist: ['controller.internal', '10.1.0.0/16', '127.0.0.1'] });

  it('should refuse loopback, private, link-local and mapped addresses by default, and allow public ones', () => {
    for (const ip of [
      '127.0.0.1',
      '10.0.0.5',
      '172.20.1.1',
      '192.168.1.1',
      '169.254.10.10',
      '::1',
      'fd12::1',
      '::ffff:10.0.0.1',
      '0.0.0.0',
    ]) {
      assert.ok(strict.refusal(ip, 'h'), ip);
    }
    for (const ip of ['93.184.216.34', '2606:2800:220:1::1']) assert.equal(strict.refusal(ip, 'h'), undefined, ip);
  });

  it('should refuse cloud metadata whatever the policy', () => {
    for (const guard of [strict, open, listed]) {
      assert.match(guard.refusal('169.254.169.254', 'metadata') ?? '', /metadata/);
      assert.ok(guard.refusal('::ffff:169.254.169.254', 'metadata'));
    }
  });

  it('should allow private addresses with OUTBOUND_ALLOW_PRIVATE or when allowlisted by name, IP or CIDR', () => {
    assert.equal(open.refusal('10.0.0.5', 'h'), undefined);
    assert.equal(open.refusal('169.254.10.10', 'h') !== undefined, true, 'link-local stays refused');
    assert.equal(listed.refusal('10.9.9.9', 'controller.internal'), undefined);
    assert.equal(listed.refusal('10.1.2.3', 'other'), undefined);
    assert.equal(listed.refusal('127.0.0.1', 'localhost'), undefined);
    assert.ok(listed.refusal('10.2.0.1', 'other'));
  });

  it('should check literal addresses in URLs before connecting', () => {
    assert.throws(() => strict.assertUrl(new URL('http://169.254.169.254/latest/meta-data/')), OutboundRefused);
    assert.throws(() => strict.assertUrl(new URL('http://[::1]:8080/')), OutboundRefused);
    assert.doesNotThrow(() => strict.assertUrl(new URL('http://example.com/')));
  });

  it('should close its connection pools', async () => {
    await Promise.all([strict.close(), open.close(), listed.close()]);
  });
});
