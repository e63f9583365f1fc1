/**
 * The README's headline promise through the real service, the real transport and the real SFU: every flow ends
 * with exactly one outcome, told to the controller (a real HTTP receiver on 127.0.0.1), and the service leaves
 * the room — when the service drains on SIGTERM with flows running, and when a flow's machine crashes. The face
 * engine is a double (a steady face): these tests are about the flows' ends, not faces.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ALL_CHALLENGES } from '../../challenges';
import type { FlowView } from '../../src/api/flow-view.dto';
import { FlowRegistry } from '../../src/flow/flow-registry';
import { loopbackTransport } from '../support/loopback-transport';
import { DemoController } from '../../demo/demo-controller';
import { RoomServer } from '../support/room-server';
import { SubjectBot } from '../support/subject-bot';
import { pollUntil, waitUntil } from '../support/wait';
import { startApp } from '../support/app';
import { brokenChallenge } from '../support/broken-challenge';
import { FakeFace, FakeMatcher } from '../support/flow-fakes';

/** Running flows at the SIGTERM. */
const FLOWS = 3;
const GRACE_S = 1;

describe('the flow registry through the SFU', () => {
  let dir: string;
  let controller: DemoController;
  let server: RoomServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vision-registry-'));
    controller = await DemoController.create({ assetsDir: dir, log: () => undefined });
    server = await RoomServer.create();
  });

  after(async () => {
    await server.close();
    await controller.close();
    await rm(dir, { recursive: true, force: true });
  });

  const joinBody = (room: string, token = room) => ({
    ws_url: server.url(room, 'vision'),
    callback_base_url: controller.baseUrl,
    token,
    lang: 'en',
  });
  const newTransport = () => loopbackTransport({ TRANSPORT_REQUEST_TIMEOUT_S: '2' });

  it(`should drain on shutdown: ${FLOWS} running flows each report service_shutdown once and leave their rooms`, async () => {
    const transport = newTransport();
    const service = await startApp(
      {
        SHUTDOWN_GRACE_S: String(GRACE_S),
        CALLBACK_INCLUDE_DETAILS: 'true',
        // The flows stay in their challenge (the double's face never blinks) until the shutdown ends them.
        CHALLENGES: 'blink',
        NUMBER_OF_GESTURES_TO_REQUEST: '1',
        CHALLENGE_TIMEOUT_S: '60',
        INSTRUCTION_S: '0.2',
        RESULT_DISPLAY_S: '0.5',
        LEAVE_TIMEOUT_S: '2',
      },
      { transport, face: new FakeFace(), matcher: new FakeMatcher() },
    );
    const registry = service.app.get(FlowRegistry);
    const rooms = Array.from({ length: FLOWS }, (_, i) => `drain-${i}`);
    const bots = await Promise.all(
      rooms.map((room) => SubjectBot.join({ wsUrl: server.url(room, 'subject'), video: { kind: 'flat', luma: 100 } })),
    );
    let closed = false;
    try {
      const flowIds: string[] = [];
      for (const room of rooms) {
        const res = await service.join(joinBody(room));
        assert.equal(res.status, 202, JSON.stringify(res.body));
        flowIds.push(res.body.flow_id);
      }
      const view = async (id: string) => (await (await fetch(`${service.baseUrl}/flows/${id}`)).json()) as FlowView;
      for (const id of flowIds) {
        await pollUntil(async () => ((await view(id)).state.endsWith('running') ? true : undefined), 15_000, `flow ${id} in its challenge`);
      }
      assert.equal(controller.callbacks.length, 0, 'no flow ended before the shutdown');

      const t0 = performance.now();
      const closing = service.close().finally(() => (closed = true));
      // During the grace period the service is up, not ready, and refuses new flows.
      const draining = async () => {
        const ready = await fetch(`${service.baseUrl}/ready`);
        const body = (await ready.json()) as { error?: { flows?: { message?: string } } };
        return ready.status === 503 && body.error?.flows?.message === 'draining' ? true : undefined;
      };
      await pollUntil(draining, 900, '/ready to turn red for the drain');
      const refused = await service.join(joinBody('late'));
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error, 'draining');
      await closing;
      const seconds = (performance.now() - t0) / 1000;

      for (const room of rooms) {
        const received = controller.callbacks.filter((c) => c.token === room);
        assert.equal(received.length, 1, `exactly one callback for ${room}`);
        assert.equal(received[0].status, 'failure');
        assert.equal(JSON.parse(received[0].body).reason, 'service_shutdown');
      }
      assert.equal(controller.callbacks.filter((c) => c.token === 'late').length, 0, 'the refused join never became a flow');
      for (const id of flowIds) {
        const ended = registry.get(id)!.view();
        assert.equal(ended.state, 'done', 'reported and left, not stopped by the shutdown');
        assert.equal(ended.callback_delivered, true);
      }
      for (const room of rooms) await waitUntil(() => !server.peerIds(room).includes('vision'), 3000, `the service to leave ${room}`);
      assert.ok(seconds >= GRACE_S, `the flows got the grace period (${seconds.toFixed(2)} s)`);
      assert.ok(seconds < GRACE_S + 10, `the drain ended soon after the grace period (${seconds.toFixed(2)} s)`);
    } finally {
      for (const bot of bots) bot.close();
      if (!closed) await service.close();
      await transport.close();
    }
  });

  it('should tell the controller exactly once, failure internal_error, and leave the room when a flow machine crashes', async () => {
    const transport = newTransport();
    const service = await startApp(
      { CALLBACK_INCLUDE_DETAILS: 'true', CHALLENGES: 'broken', NUMBER_OF_GESTURES_TO_REQUEST: '1', INSTRUCTION_S: '0.2' },
      { transport, face: new FakeFace(), matcher: new FakeMatcher(), challenges: [...ALL_CHALLENGES, brokenChallenge] },
    );
    const bot = await SubjectBot.join({ wsUrl: server.url('crash', 'subject'), video: { kind: 'flat', luma: 100 } });
    try {
      const res = await service.join(joinBody('crash'));
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const [callback] = await controller.waitForCallbacks('crash', 1, 15_000);
      assert.equal(callback.status, 'failure');
      assert.equal(JSON.parse(callback.body).reason, 'internal_error');
      await waitUntil(() => !server.peerIds('crash').includes('vision'), 5000, 'the service to leave the room');
      await service.idle();
      const view = (await (await fetch(`${service.baseUrl}/flows/${res.body.flow_id}`)).json()) as FlowView;
      assert.equal(view.state, 'crashed');
      assert.equal(view.outcome, 'failure');
      assert.equal(view.reason, 'internal_error');
      assert.equal(view.callback_delivered, true);
      await new Promise((resolve) => setTimeout(resolve, 1000)); // nothing else arrives late
      assert.equal(controller.callbacks.filter((c) => c.token === 'crash').length, 1, 'exactly one callback');
      assert.equal(transport.openConnections, 0);
    } finally {
      bot.close();
      await service.close();
      await transport.close();
    }
  });
});
