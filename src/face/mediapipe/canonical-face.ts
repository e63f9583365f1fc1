import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import type { CanonicalFace } from './head-pose';

/** The face geometry metadata inside MediaPipe's face_landmarker.task (a zip). */
const METADATA_ENTRY = 'geometry_pipeline_metadata_landmarks.binarypb';

/** The bytes of one entry of a zip file, found through its central directory (stored or deflated). */
export function zipEntry(zip: Buffer, name: string): Buffer {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('the model bundle is not a zip file');
  const entries = zip.readUInt16LE(end + 10);
  for (let at = zip.readUInt32LE(end + 16), i = 0; i < entries; i++) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    if (zip.toString('utf8', at + 46, at + 46 + nameLength) === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      return method === 0 ? data : inflateRawSync(data);
    }
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  throw new Error(`${name} not found in the model bundle`);
}

/** Protocol-buffer fields of one message: field number → values (varints as numbers, length-delimited as bytes). */
function fields(buf: Buffer): Map<number, (number | Buffer)[]> {
  const out = new Map<number, (number | Buffer)[]>();
  let i = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = buf[i++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const wire = key & 7;
    let value: number | Buffer;
    if (wire === 0) value = varint();
    else if (wire === 5) value = buf.readFloatLE((i += 4) - 4);
    else if (wire === 2) {
      const length = varint();
      value = buf.subarray(i, (i += length));
    } else throw new Error(`unexpected protobuf wire type ${wire}`);
    const list = out.get(Math.floor(key / 8)) ?? [];
    list.push(value);
    out.set(Math.floor(key / 8), list);
  }
  return out;
}

/**
 * MediaPipe's canonical face and Procrustes landmark weights from the bundle's GeometryPipelineMetadata:
 * canonical_mesh (1) → vertex_buffer (3, floats, x y z u v per vertex); procrustes_landmark_basis (2) →
 * landmark_id (1), weight (2).
 */
export function loadCanonicalFace(taskFile: string): CanonicalFace {
  const metadata = fields(zipEntry(readFileSync(taskFile), METADATA_ENTRY));
  const mesh = fields(metadata.get(1)![0] as Buffer);
  // Packed (one length-delimited field) or one float field per value.
  const raw = mesh.get(3) ?? [];
  const floats =
    raw[0] instanceof Buffer
      ? Array.from({ length: raw[0].length / 4 }, (_, i) => (raw[0] as Buffer).readFloatLE(i * 4))
      : (raw as number[]);
  const points: [number, number, number][] = [];
  for (let o = 0; o + 5 <= floats.length; o += 5) points.push([floats[o], floats[o + 1], floats[o + 2]]);
  const basis = (metadata.get(2) ?? []).map((entry) => {
    const f = fields(entry as Buffer);
    return { index: (f.get(1)?.[0] as number) ?? 0, weight: (f.get(2)?.[0] as number) ?? 0 };
  });
  if (points.length !== 468 || basis.length === 0)
    throw new Error(`unexpected canonical face: ${points.length} points, ${basis.length} weights`);
  return { points, basis };
}
