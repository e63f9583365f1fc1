import * as wrtc from '@roamhq/wrtc';

let installed = false;

/**
 * mediasoup-client looks for the browser's WebRTC classes on the global object; Node has none, so the
 * @roamhq/wrtc ones are put there once per process (never replacing classes someone else installed).
 */
export function installWebRtcGlobals(): void {
  if (installed) return;
  const globals = globalThis as Record<string, unknown>;
  const classes: Record<string, unknown> = {
    RTCPeerConnection: wrtc.RTCPeerConnection,
    RTCSessionDescription: wrtc.RTCSessionDescription,
    RTCIceCandidate: wrtc.RTCIceCandidate,
    MediaStream: wrtc.MediaStream,
    MediaStreamTrack: wrtc.MediaStreamTrack,
  };
  for (const [name, value] of Object.entries(classes)) globals[name] ??= value;
  exitWithoutTeardown();
  installed = true;
}

/**
 * wrtc crashes the process (SIGSEGV in a N-API finalizer, node-webrtc#636) when any of its objects is still
 * alive during Node's environment teardown, which follows a natural end of the event loop. Leaving through
 * process.exit() from the last 'exit' step skips that teardown, so the process ends with its own exit code.
 * Node emits 'exit' for an uncaught exception before it prints the error, so that exit would end the process
 * without a word: the error is printed first, as Node would (only when no 'uncaughtException' handler takes it).
 */
function exitWithoutTeardown(): void {
  process.on('uncaughtExceptionMonitor', (error) => {
    if (process.listenerCount('uncaughtException') === 0) console.error(error);
  });
  process.once('exit', (code) => process.exit(code));
}
