/**
 * Runs inside the engine's headless Chromium page (a classic script after tsc, loaded after the tasks-vision IIFE
 * bundle that defines the global `Vision`; no imports, so it stays a script). It receives I420 frames over a
 * loopback WebSocket, runs one FaceLandmarker per stream (VIDEO mode tracks a face across consecutive frames, so
 * two flows must not share one) and answers with landmarks, blendshapes and the head-pose matrix.
 *
 * Wire format (see ../page-protocol.ts, which the Node side uses):
 *   → binary: u32 LE header length, header JSON {id, stream, width, height, timestampMs}, I420 bytes.
 *   ← text: {type:'ready'} once warm, {type:'failed', message} if it cannot start; {type:'result', id, ms, faces}; {type:'error', id, message}.
 */
(() => {
  type Vision = typeof import('@mediapipe/tasks-vision');
  type Landmarker = import('@mediapipe/tasks-vision').FaceLandmarker;
  interface Header {
    id: number;
    stream: string;
    width: number;
    height: number;
    timestampMs: number;
  }
  interface Slot {
    landmarker: Landmarker;
    /** VIDEO mode needs strictly increasing timestamps per landmarker. */
    lastTs: number;
    lastUsed: number;
  }

  const vision = (globalThis as unknown as { Vision: Vision }).Vision;
  const params = new URLSearchParams(location.search);
  const numFaces = Number(params.get('faces') ?? 2);
  const maxStreams = Number(params.get('streams') ?? 2);
  const fileset = { wasmLoaderPath: '/wasm/vision_wasm_internal.js', wasmBinaryPath: '/wasm/vision_wasm_internal.wasm' };
  const slots = new Map<string, Slot>();
  let model: Uint8Array;

  const socket = new WebSocket(`ws://${location.host}/frames?token=${encodeURIComponent(params.get('token') ?? '')}`);
  socket.binaryType = 'arraybuffer';
  const send = (message: object): void => socket.send(JSON.stringify(message));

  /** The warmed-up landmarker no stream has claimed yet. */
  let spare: Slot | undefined;

  const createSlot = async (): Promise<Slot> => ({
    landmarker: await vision.FaceLandmarker.createFromOptions(fileset, {
      baseOptions: { modelAssetBuffer: model, delegate: 'CPU' },
      runningMode: 'VIDEO',
      numFaces,
      outputFaceBlendshapes: true,
      outputFacialTransformationMatrixes: true,
    }),
    lastTs: -1,
    lastUsed: 0,
  });

  async function slotFor(stream: string): Promise<Slot> {
    const known = slots.get(stream);
    if (known) return known;
    let slot = spare;
    spare = undefined;
    if (!slot && slots.size >= maxStreams) {
      // Hand the landmarker idle longest to the new stream (creating one costs ~1 s): its stale track is checked
      // by the landmark model's presence score on the first frame and replaced by a fresh detection if wrong.
      const [oldest, lru] = [...slots.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      slots.delete(oldest);
      slot = lru;
    }
    slot ??= await createSlot();
    slots.set(stream, slot);
    return slot;
  }

  async function analyze(header: Header, i420: Uint8Array): Promise<object> {
    const slot = await slotFor(header.stream);
    const started = performance.now();
    const ts = Math.max(slot.lastTs + 1, Math.round(header.timestampMs));
    slot.lastTs = ts;
    slot.lastUsed = started;
    // WebCodecs takes I420 as is: no colour conversion in JS, MediaPipe uploads it as a texture.
    const frame = new VideoFrame(i420, { format: 'I420', codedWidth: header.width, codedHeight: header.height, timestamp: ts * 1000 });
    try {
      const result = slot.landmarker.detectForVideo(frame, ts);
      const faces = result.faceLandmarks.map((points, i) => ({
        // Flat x,y,z (normalised to the image), rounded: 1e-5 of 640 px is far below the mesh's own jitter.
        landmarks: points.flatMap((p) => [round(p.x), round(p.y), round(p.z)]),
        blendshapes: Object.fromEntries(result.faceBlendshapes[i]?.categories.map((c) => [c.categoryName, round(c.score)]) ?? []),
        matrix: result.facialTransformationMatrixes[i]?.data ?? [],
      }));
      return { type: 'result', id: header.id, ms: performance.now() - started, faces };
    } finally {
      frame.close();
    }
  }

  const round = (v: number): number => Math.round(v * 1e5) / 1e5;

  /** Frames are analysed one at a time in arrival order (one renderer thread does the work anyway). */
  let queue: Promise<void> = Promise.resolve();
  socket.onmessage = (event: MessageEvent<ArrayBuffer>) => {
    const view = new DataView(event.data);
    const headerLength = view.getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(event.data, 4, headerLength))) as Header;
    const i420 = new Uint8Array(event.data, 4 + headerLength);
    queue = queue.then(() =>
      analyze(header, i420).then(send, (error: unknown) => send({ type: 'error', id: header.id, message: String(error) })),
    );
  };

  async function start(): Promise<void> {
    model = new Uint8Array(await (await fetch('/model/face_landmarker.task')).arrayBuffer());
    // Warm-up: the first detection initialises the graph; do it before reporting ready. The first real stream
    // takes this landmarker over.
    const slot = await createSlot();
    const grey = new Uint8Array(64 * 64 * 1.5).fill(128);
    const frame = new VideoFrame(grey, { format: 'I420', codedWidth: 64, codedHeight: 64, timestamp: 0 });
    slot.landmarker.detectForVideo(frame, 0);
    frame.close();
    slot.lastTs = 0;
    spare = slot;
    send({ type: 'ready' });
  }

  socket.onopen = () => {
    start().catch((error: unknown) => send({ type: 'failed', message: String(error) }));
  };
})();
