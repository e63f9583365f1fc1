/**
 * ws_url is an outbound connection like any other: POST /join-call refuses room servers the policy refuses
 * (loopback, private, unspecified, metadata, in every spelling) with a 400 naming the field and the setting, and
 * no connection is attempted; ROOM_SERVER_ALLOWLIST allows internal room servers. Real HTTP on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { createServer, Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RunningApp, startApp } from '../support/app';
import { FakeFace } from '../support/flow-fakes';

describe('ws_url under the room server policy', () => {
  let service: RunningApp;
  let listener: Server;
  let port: number;
  let connections = 0;

  before(async () => {
    listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as AddressInfo).port;
    // The default policy: no room server allowlisted.
    service = await startApp({ ROOM_SERVER_ALLOWLIST: '' }, { face: new FakeFace() });
  });
  after(async () => {
    await service.close();
    await new Promise((resolve) => listener.close(resolve));
  });

  const body = (wsUrl: string, token: string) => ({
    ws_url: wsUrl,
    callback_base_url: 'http://127.0.0.1:9/cb',
    token,
    lang: 'en',
  });

  for (const [name, host, setting] of [
    ['loopback', '127.0.0.1', true],
    ['loopback as a decimal number', '2130706433', true],
    ['loopback by name', 'localhost', true],
    ['IPv6 loopback', '[::1]', true],
    ['a private address', '10.1.2.3', true],
    ['the unspecified address', '0.0.0.0', false],
    ['cloud metadata', '169.254.169.254', false],
  ] as const) {
    it(`should refuse ${name} with a 400 naming ws_url${setting ? ' and ROOM_SERVER_ALLOWLIST' : ''}, and connect nowhere`, async () => {
      const before = connections;
      const res = await service.join(body(`ws://${host}:${port}/?roomId=r&peerId=p`, `refused-${name}`));
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error, 'validation_failed');
      const [detail] = res.body.details;
      assert.equal(detail.field, 'ws_url');
      assert.match(detail.message, /refused by the room server policy/);
      if (setting) assert.match(detail.message, /ROOM_SERVER_ALLOWLIST/);
      assert.equal(connections, before, 'no connection to the refused room server');
    });
  }

  it('should join a room server that ROOM_SERVER_ALLOWLIST allows (a CIDR)', async () => {
    const allowed = await startApp(
      { ROOM_SERVER_ALLOWLIST: '127.0.0.0/8', JOIN_TIMEOUT_S: '5', CALLBACK_MAX_ATTEMPTS: '1' },
      { face: new FakeFace() },
    );
    try {
      const before = connections;
      const res = await allowed.join(body(`ws://127.0.0.1:${port}/?roomId=r&peerId=p`, 'allowed'));
      assert.equal(res.status, 202, JSON.stringify(res.body));
      for (let i = 0; i < 50 && connections === before; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(connections, before + 1, 'the service connected to the allowed room server');
    } finally {
      await allowed.close();
    }
  });
});
