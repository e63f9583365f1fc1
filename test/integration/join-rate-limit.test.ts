import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { RunningApp, startApp } from '../support/app';

// Issue 7: "per-IP rate limit on /join-call" (JOIN_RATE_LIMIT_PER_MIN). The guard runs before validation, so
// invalid bodies count too and no flow is started here.
const LIMIT = 3;

/** POST /join-call with an empty object from a given loopback source address (127.0.0.0/8 is all local). */
function joinFrom(
  baseUrl: string,
  localAddress: string,
  forwardedFor?: string,
): Promise<{ status: number; retryAfter?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}/join-call`,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', ...(forwardedFor && { 'x-forwarded-for': forwardedFor }) },
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined, body }));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

describe('POST /join-call rate limit per client address', () => {
  let service: RunningApp;

  before(async () => {
    service = await startApp({ JOIN_RATE_LIMIT_PER_MIN: String(LIMIT) });
  });
  after(() => service.close());

  it(`should answer 429 with Retry-After after ${LIMIT} requests a minute from one address, and not limit another address`, async () => {
    for (let i = 0; i < LIMIT; i++) assert.equal((await joinFrom(service.baseUrl, '127.0.0.1')).status, 400, `request ${i + 1}`);
    const limited = await joinFrom(service.baseUrl, '127.0.0.1');
    assert.equal(limited.status, 429, limited.body);
    assert.equal(JSON.parse(limited.body).error, 'rate_limited');
    assert.ok(Number(limited.retryAfter) > 0, `Retry-After: ${limited.retryAfter}`);
    assert.equal((await joinFrom(service.baseUrl, '127.0.0.2')).status, 400, 'another client address has its own budget');
  });

  it('should ignore X-Forwarded-For unless TRUST_PROXY_HOPS says a proxy is in front', async () => {
    for (let i = 0; i < LIMIT; i++) await joinFrom(service.baseUrl, '127.0.0.3', `198.51.100.${i}`);
    assert.equal((await joinFrom(service.baseUrl, '127.0.0.3', '198.51.100.99')).status, 429, 'a client cannot pick its own budget');
    const behindIngress = await startApp({ JOIN_RATE_LIMIT_PER_MIN: String(LIMIT), TRUST_PROXY_HOPS: '1' });
    try {
      for (let i = 0; i < LIMIT; i++) await joinFrom(behindIngress.baseUrl, '127.0.0.4', '198.51.100.1');
      assert.equal((await joinFrom(behindIngress.baseUrl, '127.0.0.4', '198.51.100.1')).status, 429);
      assert.equal(
        (await joinFrom(behindIngress.baseUrl, '127.0.0.4', '198.51.100.2')).status,
        400,
        'each forwarded client has its own budget',
      );
    } finally {
      await behindIngress.close();
    }
  });

  it('should not limit the other routes', async () => {
    for (let i = 0; i < LIMIT + 2; i++) assert.equal((await fetch(`${service.baseUrl}/flows/none`)).status, 404);
  });
});
