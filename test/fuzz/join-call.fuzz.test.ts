import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RunningApp, startApp } from '../support/app';
import { junk, seededRandom } from '../support/random';

const CASES = 400;

/** A plausible body with one or more fields replaced by junk, or unknown fields added. */
function mutatedBody(random: () => number): unknown {
  const body: Record<string, unknown> = {
    ws_url: 'ws://127.0.0.1:9/?roomId=r&peerId=p',
    callback_base_url: 'http://127.0.0.1:9',
    token: 'fuzz',
    lang: 'en',
  };
  const fields = [...Object.keys(body), 'datastore_base_url', '__proto__', 'constructor', 'extra'];
  const mutations = 1 + Math.floor(random() * 3);
  for (let i = 0; i < mutations; i++) body[fields[Math.floor(random() * fields.length)]] = junk(random);
  return random() < 0.1 ? junk(random) : body;
}

describe('fuzz POST /join-call', { timeout: 120_000 }, () => {
  let service: RunningApp;

  before(async () => {
    // One attempt: the valid body's flow reports to a closed port, and close() would wait for its retries.
    service = await startApp({
      MAX_CONCURRENT_FLOWS: '1',
      JOIN_RATE_LIMIT_PER_MIN: '100000',
      JOIN_TIMEOUT_S: '1',
      CALLBACK_MAX_ATTEMPTS: '1',
    });
  });
  after(() => service.close());

  it(`should answer every one of ${CASES} junk bodies with a clear 4xx (or a 202 for a valid one) and stay up`, async () => {
    const random = seededRandom(2060);
    const statuses = new Map<number, number>();
    for (let i = 0; i < CASES; i++) {
      const raw = random() < 0.05 ? '{"ws_url": "' + 'a'.repeat(70_000) + '"}' : (JSON.stringify(mutatedBody(random)) ?? 'null');
      const res = await fetch(`${service.baseUrl}/join-call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: raw,
      });
      const answer = await res.json();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      assert.ok([202, 400, 409, 413, 429].includes(res.status), `case ${i}: ${res.status} for ${raw.slice(0, 200)}`);
      if (res.status === 400) {
        assert.equal(answer.error, 'validation_failed');
        assert.ok(Array.isArray(answer.details) && answer.details.length > 0, JSON.stringify(answer));
        for (const d of answer.details)
          assert.ok(typeof d.field === 'string' && typeof d.message === 'string' && d.message, JSON.stringify(d));
      }
    }
    console.log(`join-call fuzz: ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.ok((statuses.get(400) ?? 0) > CASES / 2);
    assert.equal((await fetch(`${service.baseUrl}/health`)).status, 200);
  });
});
