/**
 * The protoo contract of a mediasoup-demo–style room server (the 2060 WebRTC server), typed once and shared by
 * the transport adapter and the test room server. Only what we speak or must answer is listed; a real server
 * sends more notifications (scores, bandwidth, active speaker), which both sides ignore.
 */
import type { types } from 'mediasoup-client';

/** Who a peer says it is when joining. */
export interface DeviceInfo {
  flag: string;
  name: string;
  version: string;
}

/** A peer already in the room, as `join` and `newPeer` describe it. */
export interface PeerInfo {
  id: string;
  displayName: string;
  device: DeviceInfo;
}

/** What the server answers to createWebRtcTransport. */
export interface WebRtcTransportInfo {
  id: string;
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
  sctpParameters?: types.SctpParameters;
  iceServers?: RTCIceServer[];
}

/** Requests a peer sends to the server: method → request data and answer data. */
export interface ClientRequests {
  getRouterRtpCapabilities: { data: undefined; answer: types.RtpCapabilities };
  createWebRtcTransport: {
    data: { forceTcp: boolean; producing: boolean; consuming: boolean; sctpCapabilities?: types.SctpCapabilities };
    answer: WebRtcTransportInfo;
  };
  connectWebRtcTransport: { data: { transportId: string; dtlsParameters: types.DtlsParameters }; answer: undefined };
  join: {
    data: { displayName: string; device: DeviceInfo; rtpCapabilities: types.RtpCapabilities; sctpCapabilities?: types.SctpCapabilities };
    answer: { peers: PeerInfo[] };
  };
  produce: {
    data: { transportId: string; kind: types.MediaKind; rtpParameters: types.RtpParameters; appData: Record<string, unknown> };
    answer: { id: string };
  };
  closeProducer: { data: { producerId: string }; answer: undefined };
  /** 2060 extension; stock mediasoup-demo rejects it. */
  leaveRoom: { data: undefined; answer: undefined };
}

/** A request the client sends, as a discriminated union. */
export type ClientRequest = { [M in keyof ClientRequests]: { method: M; data: ClientRequests[M]['data'] } }[keyof ClientRequests];

/** Requests the server sends to a peer (the peer accepts or rejects them). */
export interface ServerRequests {
  newConsumer: {
    peerId: string;
    producerId: string;
    id: string;
    kind: types.MediaKind;
    rtpParameters: types.RtpParameters;
    type: string;
    appData: Record<string, unknown>;
    producerPaused: boolean;
  };
  newDataConsumer: {
    peerId: string | null;
    dataProducerId: string;
    id: string;
    sctpStreamParameters: types.SctpStreamParameters;
    label: string;
    protocol: string;
    appData: Record<string, unknown>;
  };
}

/** A request the server sends, as a discriminated union. */
export type ServerRequest = { [M in keyof ServerRequests]: { method: M; data: ServerRequests[M] } }[keyof ServerRequests];

/** Notifications the server sends to a peer. */
export interface ServerNotifications {
  newPeer: PeerInfo;
  peerClosed: { peerId: string };
  /** 2060 extension: sent before peerClosed when a peer leaves. */
  peerLeft: { peerId: string };
  consumerClosed: { consumerId: string };
  consumerPaused: { consumerId: string };
  consumerResumed: { consumerId: string };
}

/** A notification the server sends, as a discriminated union. */
export type ServerNotification = {
  [M in keyof ServerNotifications]: { method: M; data: ServerNotifications[M] };
}[keyof ServerNotifications];

const SERVER_NOTIFICATIONS: ReadonlySet<string> = new Set<keyof ServerNotifications>([
  'newPeer',
  'peerClosed',
  'peerLeft',
  'consumerClosed',
  'consumerPaused',
  'consumerResumed',
]);

/** Whether a notification is one of ours (the rest are ignored). */
export function isServerNotification(message: { method: string; data?: unknown }): message is ServerNotification {
  return SERVER_NOTIFICATIONS.has(message.method);
}

const SERVER_REQUESTS: ReadonlySet<string> = new Set<keyof ServerRequests>(['newConsumer', 'newDataConsumer']);

/** Whether a server request is one we know how to answer. */
export function isServerRequest(message: { method: string; data?: unknown }): message is ServerRequest {
  return SERVER_REQUESTS.has(message.method);
}

const CLIENT_REQUESTS: ReadonlySet<string> = new Set<keyof ClientRequests>([
  'getRouterRtpCapabilities',
  'createWebRtcTransport',
  'connectWebRtcTransport',
  'join',
  'produce',
  'closeProducer',
  'leaveRoom',
]);

/** Whether a client request is part of the contract (the server rejects the rest). */
export function isClientRequest(message: { method: string; data?: unknown }): message is ClientRequest {
  return CLIENT_REQUESTS.has(message.method);
}

/** Exhaustiveness check at the end of a switch over a union. */
export function unreachable(value: never): never {
  throw new Error(`unexpected protoo message ${JSON.stringify(value)}`);
}
