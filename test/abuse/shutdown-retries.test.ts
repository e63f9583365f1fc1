import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitUntil } from '../support/wait';
import { WebhookReceiver } from './webhook-receiver';

interface LogLine {
  level?: number;
  msg?: string;
  flow_id?: string;
  listening?: string;
}

describe('SIGTERM while a callback is still being retried', { timeout: 90_000 }, () => {
  let receiver: WebhookReceiver;

  before(async () => {
    receiver = await WebhookReceiver.start({ status: 503, delayMs: 0 });
  });
  after(() => receiver.close());

  it('should log an error with the flow id saying the controller was not told', async () => {
    const env = {
      LOG_LEVEL: 'warn',
      SHUTDOWN_GRACE_S: '0',
      CALLBACK_MAX_ATTEMPTS: '6',
      CALLBACK_BACKOFF_MS: '60000',
      JOIN_TIMEOUT_S: '2',
      LEAVE_TIMEOUT_S: '1',
    };
    const child = spawn(process.execPath, [join(__dirname, 'shutdown-child.js'), JSON.stringify(env)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    const lines: LogLine[] = [];
    let rest = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = rest + chunk.toString();
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      for (const part of parts) {
        try {
          lines.push(JSON.parse(part) as LogLine);
        } catch {
          // not a log line
        }
      }
    });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    // Bounded: whatever happens, the child is gone after 80 s.
    const killer = setTimeout(() => child.kill('SIGKILL'), 80_000);
    try {
      await waitUntil(() => lines.some((l) => l.listening), 60_000, 'the service to listen');
      const baseUrl = lines.find((l) => l.listening)!.listening!;
      const res = await fetch(`${baseUrl}/join-call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ws_url: 'ws://127.0.0.1:9/?roomId=r&peerId=p', callback_base_url: receiver.baseUrl, token: 'cut-short' }),
      });
      assert.equal(res.status, 202);
      const flowId = ((await res.json()) as { flow_id: string }).flow_id;
      await waitUntil(() => receiver.puts.length === 1, 20_000, 'the first callback attempt');
      child.kill('SIGTERM');
      await exited;
      const told = lines.filter((l) => l.level === 50 && l.flow_id === flowId && /controller was not told/.test(l.msg ?? ''));
      assert.equal(told.length, 1, JSON.stringify(lines.filter((l) => (l.level ?? 0) >= 40)));
      assert.match(told[0].msg!, /after 1 of 6 callback attempts/);
      assert.equal(receiver.puts.length, 1);
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  });
});
