import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OUTBOUND_SETTINGS, OutboundGuard, OutboundRefused } from '../../src/outbound/outbound-guard';

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

  it('should give embedded IPv4 addresses the IPv4 rules and refuse deprecated site-local', () => {
    const embedded = [
      '::127.0.0.1',
      '::ffff:0:127.0.0.1',
      '64:ff9b::127.0.0.1',
      '64:ff9b::a9fe:a9fe',
      '64:ff9b:1::10.0.0.1',
      '2002:7f00:1::',
      '2002:a9fe:a9fe::1',
      '2001:0:4136:e378:8000:63bf:80ff:fffe', // Teredo, client 127.0.0.1 (bits inverted)
      '::0.0.0.5',
      'fec0::1',
    ];
    for (const ip of embedded) assert.ok(strict.refusal(ip, 'h'), ip);
    assert.match(strict.refusal('64:ff9b::a9fe:a9fe', 'h') ?? '', /metadata/);
    assert.match(open.refusal('2002:a9fe:a9fe::1', 'h') ?? '', /metadata/);
    assert.equal(open.refusal('::127.0.0.1', 'h'), undefined, 'loopback in IPv4-compatible form: allowed like 127.0.0.1');
    // Public IPv4 inside NAT64 and 6to4 stays public.
    for (const ip of ['64:ff9b::5db8:d822', '2002:5db8:d822::1']) assert.equal(strict.refusal(ip, 'h'), undefined, ip);
  });

  it('should treat 0.0.0.0 and :: as loopback: allowed only where 127.0.0.1 is', () => {
    for (const ip of ['0.0.0.0', '::']) {
      assert.match(strict.refusal(ip, ip) ?? '', /loopback/, ip);
      assert.equal(open.refusal(ip, ip), undefined, ip);
      assert.equal(listed.refusal(ip, ip), undefined, ip);
    }
    assert.ok(open.refusal('0.0.0.1', 'h'), 'the rest of 0.0.0.0/8 stays refused');
  });

  it('should allow host:port allowlist entries on that port only, bare entries on every port', () => {
    const ports = new OutboundGuard({
      allowPrivate: false,
      allowlist: ['controller.internal:8443', '10.0.0.0/8:9000', '[::1]:5001', '127.0.0.1'],
    });
    assert.equal(ports.refusal('10.9.9.9', 'controller.internal', 8443), undefined);
    assert.ok(ports.refusal('10.9.9.9', 'controller.internal', 80));
    assert.ok(ports.refusal('10.9.9.9', 'controller.internal'), 'unknown port: only bare entries apply');
    assert.equal(ports.refusal('10.1.1.1', 'x', 9000), undefined);
    assert.ok(ports.refusal('10.1.1.1', 'x', 9001));
    assert.equal(ports.refusal('::1', 'x', 5001), undefined);
    assert.ok(ports.refusal('::1', 'x', 5002));
    for (const port of [1, 80, 65535]) assert.equal(ports.refusal('127.0.0.1', 'x', port), undefined);
    return ports.close();
  });

  it('should check a URL: resolve, then say which address was refused and which setting would allow it', async () => {
    assert.equal(await open.checkUrl('http://127.0.0.1:5001/x'), '127.0.0.1');
    await assert.rejects(strict.checkUrl('http://localhost:5001/'), (error: OutboundRefused) => {
      assert.ok(error.address === '127.0.0.1' || error.address === '::1', String(error.address));
      assert.equal(error.setting, OUTBOUND_SETTINGS);
      return true;
    });
    assert.equal(await open.checkUrl('http://0.0.0.0:5001/assets/t'), '0.0.0.0');
    await assert.rejects(open.checkUrl('http://[::ffff:169.254.169.254]/'), (error: OutboundRefused) => error.setting === undefined);
    await assert.rejects(strict.checkUrl('ftp://example.com/'), /only http and https/);
    await assert.rejects(strict.checkUrl('http://u:p@example.com/'), /credentials/);
    await assert.rejects(strict.checkUrl('http://no-such-host.invalid/'), /does not resolve/);
  });

  it('should close its connection pools', async () => {
    await Promise.all([strict.close(), open.close(), listed.close()]);
  });
});
