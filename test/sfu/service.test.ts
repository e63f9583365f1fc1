/**
 * The whole service with the real transport, through the real SFU: POST /join-call, the subject bot in the
 * room, and the failure callback the controller receives when the call breaks. The face engine is a double:
 * these tests are about the call, not faces.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DemoController } from '../../demo/demo-controller';
import { RunningApp, startApp } from '../support/app';
import { face, FakeFace, FakeMatcher, FakeReferences } from '../support/flow-fakes';
import { lumaStats } from '../support/frame-marker';
import { loopbackTransport } from '../support/loopback-transport';
import { RoomServer } from '../support/room-server';
import { SubjectBot } from '../support/subject-bot';
import { pollUntil, waitUntil } from '../support/wait';

describe('POST /join-call through the SFU', () => {
  let dir: string;
  let controller: DemoController;
  let service: RunningApp;
  let server: RoomServer;
  const transport = loopbackTransport();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vision-sfu-'));
    controller = await DemoController.create({ assetsDir: dir, log: () => undefined });
    server = await RoomServer.create();
    service = await startApp(
      { CALLBACK_INCLUDE_DETAILS: 'true', CALLBACK_BACKOFF_MS: '50', LEAVE_TIMEOUT_S: '2' },
      { transport, face: new FakeFace() },
    );
  });

  after(async () => {
    await service.close();
    await transport.close();
    await server.close();
    await controller.close();
    await rm(dir, { recursive: true, force: true });
  });

  const joinBody = (wsUrl: string, token: string) => ({ ws_url: wsUrl, callback_base_url: controller.baseUrl, token, lang: 'es' });

  it('should join, show the subject the instructions, and report subject_left when the subject leaves', async () => {
    const bot = await SubjectBot.join({ wsUrl: server.url('call-1', 'subject'), video: { kind: 'halves' } });
    try {
      const res = await service.join(joinBody(server.url('call-1', 'vision'), 'sfu-left'));
      assert.equal(res.status, 202);
      await waitUntil(() => bot.received.count >= 15, 10000, 'the instruction video at the subject');
      const seen = bot.received.last!;
      assert.ok(lumaStats(seen, 0, 10, seen.width, 60).std > 30, 'an instruction is drawn');
      bot.close();
      const [callback] = await controller.waitForCallbacks('sfu-left', 1, 8000);
      assert.equal(callback.status, 'failure');
      assert.equal(JSON.parse(callback.body).reason, 'subject_left');
      await waitUntil(() => server.peerIds('call-1').length === 0, 5000, 'the service to leave the room');
      assert.equal(controller.callbacks.filter((c) => c.token === 'sfu-left').length, 1, 'exactly one callback');
    } finally {
      bot.close();
    }
  });

  it('should report transport_failed when the room server dies mid-call', async () => {
    const dying = await RoomServer.create();
    const bot = await SubjectBot.join({ wsUrl: dying.url('call-2', 'subject'), video: { kind: 'flat', luma: 100 } });
    try {
      const res = await service.join(joinBody(dying.url('call-2', 'vision'), 'sfu-dead'));
      assert.equal(res.status, 202);
      await waitUntil(() => bot.received.count >= 5, 10000, 'the service in the room');
      await dying.close();
      const [callback] = await controller.waitForCallbacks('sfu-dead', 1, 8000);
      assert.equal(callback.status, 'failure');
      assert.equal(JSON.parse(callback.body).reason, 'transport_failed');
      assert.equal(transport.openConnections, 0);
    } finally {
      bot.close();
      await dying.close();
    }
  });
});

describe('hanging up after the last challenge, through the SFU', () => {
  it('should go on to the real verdict when the subject leaves while references are fetched', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vision-sfu-'));
    const controller = await DemoController.create({ assetsDir: dir, log: () => undefined });
    const server = await RoomServer.create();
    const transport = loopbackTransport();
    const subjectFace = new FakeFace();
    const references = new FakeReferences();
    let release!: () => void;
    references.gate = new Promise((resolve) => (release = resolve));
    const service = await startApp(
      { CALLBACK_INCLUDE_DETAILS: 'true', CHALLENGES: 'open-close-mouth', NUMBER_OF_GESTURES_TO_REQUEST: '1', INSTRUCTION_S: '0.5' },
      { transport, face: subjectFace, references, matcher: new FakeMatcher() },
    );
    const bot = await SubjectBot.join({ wsUrl: server.url('hang-up', 'subject'), video: { kind: 'flat', luma: 100 } });
    try {
      const res = await service.join({
        ws_url: server.url('hang-up', 'vision'),
        callback_base_url: controller.baseUrl,
        token: 'hang-up',
        lang: 'en',
      });
      assert.equal(res.status, 202);
      const state = async () => ((await (await fetch(`${service.baseUrl}/flows/${res.body.flow_id}`)).json()) as { state: string }).state;
      await pollUntil(async () => ((await state()).endsWith('running') ? true : undefined), 10_000, 'the challenge to run');
      await new Promise((resolve) => setTimeout(resolve, 500)); // closed mouth first
      subjectFace.next = { faceCount: 1, face: face({ mouthOpenness: 0.15 }) };
      await new Promise((resolve) => setTimeout(resolve, 800));
      subjectFace.next = { faceCount: 1, face: face() };
      await pollUntil(async () => ((await state()) === 'verifying.fetchingReferences' ? true : undefined), 10_000, 'liveness to pass');
      bot.close();
      await waitUntil(() => !server.peerIds('hang-up').includes('subject'), 5000, 'the subject to leave');
      await new Promise((resolve) => setTimeout(resolve, 300)); // the service is told
      assert.equal(await state(), 'verifying.fetchingReferences', 'leaving after liveness does not end the flow');
      release();
      const [callback] = await controller.waitForCallbacks('hang-up', 1, 8000);
      assert.equal(callback.status, 'success');
      assert.equal(JSON.parse(callback.body).reason, null);
    } finally {
      release();
      bot.close();
      await service.close();
      await transport.close();
      await server.close();
      await controller.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
