import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { DemoController } from '../../demo/demo-controller';
import { RunningApp, startApp } from '../support/app';

/** A room nobody listens on: accepted flows fail at once with transport_failed and report to the controller. */
const CLOSED_ROOM = 'ws://127.0.0.1:9/?roomId=r&peerId=vision';

describe('POST /join-call: input edges (issue 13.2, 13.3, 13.5, 14.6, 14.7, 14.8)', () => {
  let service: RunningApp;
  let strict: RunningApp;
  let controller: DemoController;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vision-abuse-'));
    controller = await DemoController.create({ assetsDir: dir, log: () => undefined });
    const env = { MAX_CONCURRENT_FLOWS: '40', JOIN_RATE_LIMIT_PER_MIN: '100000', CALLBACK_BACKOFF_MS: '50' };
    service = await startApp(env);
    strict = await startApp({ ...env, STRICT_JOIN_CALL: 'true' });
  });

  after(async () => {
    await Promise.all([service.idle(20_000), strict.idle(20_000)]);
    await Promise.all([service.close(), strict.close()]);
    await controller.close();
    await rm(dir, { recursive: true, force: true });
  });

  let n = 0;
  const body = (extra: Record<string, unknown> = {}) => ({
    ws_url: CLOSED_ROOM,
    callback_base_url: controller.baseUrl,
    token: `input-${++n}`,
    ...extra,
  });

  /** POSTs a raw body with these headers; resolves with the status and the parsed answer. */
  function raw(app: RunningApp, payload: Buffer | string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const req = request(`${app.baseUrl}/join-call`, { method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  function assertFieldError(res: { status: number; body: any }, field: string, message: RegExp): void {
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error, 'validation_failed');
    const detail = res.body.details.find((d: { field: string }) => d.field === field);
    assert.ok(detail, `no detail for ${field}: ${JSON.stringify(res.body)}`);
    assert.match(detail.message, message);
  }

  it('should accept language tags and say which language is used: exact, else primary subtag, else en', async () => {
    const cases: [unknown, string, RegExp | undefined][] = [
      ['es-AR', 'es', /"es-AR" is not available; using es/],
      ['es_AR', 'es', /"es_AR" is not available; using es/],
      ['pt-BR', 'pt', /"pt-BR" is not available; using pt/],
      ['EN', 'en', undefined],
      ['de', 'de', undefined],
      ['zh-Hant-TW', 'en', /"zh-Hant-TW" is not available; using en/],
      ['', 'en', undefined],
      [undefined, 'en', undefined],
    ];
    for (const [lang, used, notice] of cases) {
      const res = await service.join(body(lang === undefined ? {} : { lang }));
      assert.equal(res.status, 202, `${lang}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.lang, used, String(lang));
      if (notice) assert.match(res.body.notice, notice);
      else assert.equal(res.body.notice, undefined, `${lang}: ${res.body.notice}`);
    }
    assertFieldError(await service.join(body({ lang: 12 })), 'lang', /must be a string/);
    assertFieldError(await service.join(body({ lang: 'x'.repeat(65) })), 'lang', /at most 64/);
  });

  it('should treat empty (and null) optional fields as absent', async () => {
    for (const empty of ['', null]) {
      const res = await service.join(body({ datastore_base_url: empty, lang: empty }));
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal(res.body.notice, undefined);
      assert.equal(res.body.lang, 'en');
    }
  });

  it('should accept unknown fields and name them in the notice; STRICT_JOIN_CALL=true refuses them', async () => {
    const lenient = await service.join(body({ peer_id: 'p', extra: { a: 1 } }));
    assert.equal(lenient.status, 202, JSON.stringify(lenient.body));
    assert.match(lenient.body.notice, /unknown fields ignored: "peer_id", "extra"/);
    const refused = await strict.join(body({ peer_id: 'p' }));
    assertFieldError(refused, 'peer_id', /unknown field peer_id/);
    // Missing required fields stay 400 in both modes.
    assertFieldError(await service.join({ extra: 1 }), 'token', /required/);
  });

  it('should refuse __proto__, constructor and prototype keys in both modes, without touching any prototype', async () => {
    for (const app of [service, strict]) {
      for (const key of ['__proto__', 'constructor', 'prototype']) {
        const payload = `{"ws_url":${JSON.stringify(CLOSED_ROOM)},"callback_base_url":${JSON.stringify(controller.baseUrl)},"token":"proto","${key}":{"polluted":true}}`;
        const res = await raw(app, payload, { 'content-type': 'application/json' });
        assertFieldError(res, key, new RegExp(`unknown field ${key}`));
      }
    }
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  });

  it('should refuse tokens the callback URLs cannot carry, with a field message', async () => {
    const cases: [string, RegExp][] = [
      ['a\ud800b', /well-formed Unicode/],
      ['\udc00', /well-formed Unicode/],
      ['.', /"\." or "\.\."/],
      ['..', /"\." or "\.\."/],
      ['   ', /only whitespace/],
      ['\u3000\t', /only whitespace|control/],
      ['a\u2028b', /line separators/],
      ['a\u0085b', /control characters/],
      ['a\u202eb', /bidirectional/],
      ['a\u2066b', /bidirectional/],
    ];
    for (const [token, message] of cases) assertFieldError(await service.join(body({ token })), 'token', message);
    // Still fine: dots inside a token, non-Latin scripts, emoji.
    for (const token of ['a.b', '...', 'トークン', '😀']) {
      const res = await service.join(body({ token }));
      assert.equal(res.status, 202, `${token}: ${JSON.stringify(res.body)}`);
    }
  });

  it('should refuse base URLs with a query or a fragment', async () => {
    for (const suffix of ['?x=', '?', '#frag', '/vision?a=1#b']) {
      assertFieldError(
        await service.join(body({ callback_base_url: controller.baseUrl + suffix })),
        'callback_base_url',
        /query \(\?\) or fragment/,
      );
      assertFieldError(
        await service.join(body({ datastore_base_url: controller.baseUrl + suffix })),
        'datastore_base_url',
        /query \(\?\) or fragment/,
      );
    }
  });

  it('should answer bad bodies with a 4xx in the API error shape', async () => {
    const valid = JSON.stringify(body({ token: 'bad-bodies' }));
    const deep = '{"token":' + '['.repeat(5000) + ']'.repeat(5000) + '}';
    const deepUnknown = '{"extra":' + '{"a":'.repeat(6000) + '1' + '}'.repeat(6000) + '}';
    const cases: [Buffer | string, Record<string, string>, number, string][] = [
      [deep, { 'content-type': 'application/json' }, 400, 'validation_failed'],
      [deepUnknown, { 'content-type': 'application/json' }, 400, 'validation_failed'],
      [valid, { 'content-type': 'application/json; charset=latin1' }, 415, 'unsupported_media_type'],
      [valid, { 'content-type': 'application/json', 'content-encoding': 'br-unknown' }, 415, 'unsupported_media_type'],
      ['not gzip at all', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, 400, 'validation_failed'],
      [gzipSync(valid).subarray(0, 20), { 'content-type': 'application/json', 'content-encoding': 'gzip' }, 400, 'validation_failed'],
    ];
    for (const [payload, headers, status, error] of cases) {
      const res = await raw(service, payload, headers);
      assert.equal(res.status, status, `${JSON.stringify(headers)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, error);
      assert.equal(res.body.details[0].field, 'body');
    }
    // A valid gzip body is read.
    const gz = await raw(service, gzipSync(valid), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    assert.equal(gz.status, 202, JSON.stringify(gz.body));
  });

  it('should survive a client that aborts mid-body and keep answering', async () => {
    for (let i = 0; i < 5; i++) {
      const socket = connect(Number(new URL(service.baseUrl).port), '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      socket.write(`POST /join-call HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"token":"ab`);
      await new Promise((r) => setTimeout(r, 20));
      socket.destroy();
    }
    assert.equal((await fetch(`${service.baseUrl}/health`)).status, 200);
  });
});

describe('POST /join-call: base URLs the outbound policy refuses (issue 13.5)', () => {
  let service: RunningApp;

  before(async () => {
    // No allowlist and no private addresses: the controller on loopback can never be called back.
    service = await startApp({ OUTBOUND_ALLOWLIST: '', JOIN_RATE_LIMIT_PER_MIN: '100000' });
  });
  after(() => service.close());

  /** A public documentation address (TEST-NET-1): allowed by the policy, never contacted (the flow does not start). */
  const PUBLIC_LITERAL = 'http://192.0.2.1/vision';
  const body = (extra: Record<string, unknown>) => ({
    ws_url: CLOSED_ROOM,
    callback_base_url: 'http://127.0.0.1:5001',
    token: 'refused',
    ...extra,
  });

  it('should answer 400 naming the field, the resolved address and the settings that would allow it', async () => {
    for (const [field, url, address] of [
      ['callback_base_url', 'http://localhost:5001/vision', '127.0.0.1'],
      ['callback_base_url', 'http://10.1.2.3:5001', '10.1.2.3'],
      ['datastore_base_url', 'http://localhost:5002', '127.0.0.1'],
    ] as const) {
      const res = await service.join(body({ callback_base_url: PUBLIC_LITERAL, [field]: url }));
      assert.equal(res.status, 400, JSON.stringify(res.body));
      const detail = res.body.details.find((d: { field: string }) => d.field === field);
      assert.ok(detail, JSON.stringify(res.body));
      assert.ok(detail.message.includes(address), detail.message);
      assert.match(detail.message, /OUTBOUND_ALLOWLIST/);
      assert.match(detail.message, /OUTBOUND_ALLOW_PRIVATE/);
    }
    const metadata = await service.join(body({ callback_base_url: 'http://169.254.169.254/latest' }));
    assert.equal(metadata.status, 400);
    assert.match(metadata.body.details[0].message, /metadata address \(169\.254\.169\.254\)/);
    assert.equal((await fetch(`${service.baseUrl}/health`).then((r) => r.json())).active_flows, 0);
  });
});
