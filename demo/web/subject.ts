/**
 * The subject's side of the demo, in the browser (bundled by bundle.ts): takes the camera, asks the demo server
 * for a verification, joins the mediasoup room over protoo like a mediasoup-demo client, shows the service's
 * video and follows the flow until the controller got its callback.
 */
import { Device } from 'mediasoup-client';
import { Peer, WebSocketTransport } from 'protoo-client';
import { MediasoupPeer } from '../../src/transport/mediasoup-peer';
import type { ServerRequests } from '../../src/transport/protoo-messages';
import type { FlowStatus, VerifyAnswer, VerifyRequest } from './api';

const POLL_MS = 500;
/** The reference frame is taken after the camera has run this long. */
const REFERENCE_AFTER_S = 1.5;
/** The page stops following a flow after this long (the service's own flow limit is shorter). */
const FOLLOW_LIMIT_MS = 10 * 60_000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function setStep(text: string): void {
  $('step').textContent = text;
}

async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** A JPEG of the camera's current frame, as the demo's reference image. */
function captureFrame(video: HTMLVideoElement): string {
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d')!.drawImage(video, 0, 0);
  return canvas.toDataURL('image/jpeg', 0.9);
}

/** Resolves once `video` has played for `seconds` (a camera's first frames are often dark while it adjusts). */
async function playedFor(video: HTMLVideoElement, seconds: number): Promise<void> {
  while (video.currentTime < seconds) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** One protoo connection to the room: publishes `track`, shows the first video offered to it in `screen`. */
class RoomClient {
  private readonly peer: Peer;
  private media?: MediasoupPeer;

  constructor(wsUrl: string) {
    this.peer = new Peer(new WebSocketTransport(wsUrl, { retry: { retries: 0 } }));
  }

  async join(track: MediaStreamTrack, screen: HTMLVideoElement): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.peer.on('open', () => resolve());
      this.peer.on('failed', () => reject(new Error('cannot reach the room server')));
    });
    this.peer.on('disconnected', () => setStep('The room server closed the connection.'));
    const media = await MediasoupPeer.open({ device: new Device(), request: (method, data) => this.peer.request(method, data) });
    this.media = media;
    this.peer.on('request', (req, accept, reject) => {
      if (req.method !== 'newConsumer') return reject(403, 'not consumed');
      const offer = req.data as ServerRequests['newConsumer'];
      if (offer.kind !== 'video') return reject(403, 'only video is shown');
      media.consume(offer).then(
        (consumer) => {
          screen.srcObject = new MediaStream([consumer.track]);
          accept();
        },
        (error: Error) => reject(500, error.message),
      );
    });
    await media.join('Subject', { flag: 'browser', name: 'vision-demo-page', version: '1' });
    await media.produce({ track, appData: { source: 'webcam' } });
  }

  close(): void {
    this.media?.close();
    this.peer.close();
  }
}

function renderStatus(status: FlowStatus): void {
  const flow = status.flow;
  if (flow) {
    $('state').textContent = flow.state;
    $('challenges').replaceChildren(
      ...flow.challenges.map((c) => {
        const li = document.createElement('li');
        li.textContent = `${c.id}: ${c.status}${c.status === 'running' ? ` (${Math.round(c.progress * 100)} %)` : ''}`;
        li.dataset.challenge = c.id;
        li.dataset.status = c.status;
        return li;
      }),
    );
    document.body.dataset.state = flow.state;
    if (flow.current_challenge) document.body.dataset.challenge = flow.current_challenge;
  }
  if (status.callbacks.length === 0) return;
  $('callbacks').replaceChildren(
    ...status.callbacks.map((c) => {
      const pre = document.createElement('pre');
      pre.textContent = `PUT ${c.path}${c.body ? `\n${JSON.stringify(JSON.parse(c.body), null, 1)}` : ''}`;
      return pre;
    }),
  );
  const last = status.callbacks[status.callbacks.length - 1];
  const outcome = $('outcome');
  outcome.className = last.status;
  outcome.textContent =
    last.status === 'success' ? 'Verified: the controller received success.' : `Not verified: ${flow?.reason ?? 'failure'}.`;
  document.body.dataset.outcome = last.status;
}

async function follow(flowId: string): Promise<void> {
  const deadline = Date.now() + FOLLOW_LIMIT_MS;
  while (Date.now() < deadline) {
    const res = await fetch(`/api/flows/${encodeURIComponent(flowId)}`);
    if (res.ok) {
      const status = (await res.json()) as FlowStatus;
      renderStatus(status);
      if (status.callbacks.length > 0 && status.flow?.finished_at) return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function verify(): Promise<void> {
  const button = $<HTMLButtonElement>('verify');
  button.disabled = true;
  delete document.body.dataset.outcome;
  let room: RoomClient | undefined;
  try {
    setStep('Opening the camera…');
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    const camera = $<HTMLVideoElement>('camera');
    camera.srcObject = stream;
    setStep('Look at the camera: taking the reference picture…');
    await playedFor(camera, REFERENCE_AFTER_S);
    const reference = captureFrame(camera);
    $<HTMLImageElement>('reference').src = reference;
    setStep('Asking the service to join…');
    const request: VerifyRequest = { reference, lang: navigator.language.slice(0, 2).toLowerCase() };
    const answer = await postJson<VerifyAnswer>('/api/verify', request);
    document.body.dataset.flowId = answer.flowId;
    room = new RoomClient(answer.wsUrl);
    await room.join(stream.getVideoTracks()[0], $<HTMLVideoElement>('service-video'));
    setStep('Follow the instructions in the video.');
    await follow(answer.flowId);
    setStep('Done. Click Verify to try again.');
    stream.getTracks().forEach((t) => t.stop());
  } catch (error) {
    setStep(`Error: ${(error as Error).message}`);
    document.body.dataset.error = (error as Error).message;
  } finally {
    room?.close();
    button.disabled = false;
  }
}

$('verify').addEventListener('click', () => void verify());
