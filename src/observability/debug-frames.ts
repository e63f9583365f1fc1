import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RawImage } from '../common/image';
import { rootLogger } from './logger';

/**
 * DEBUG_SAVE_FRAMES: writes each flow's live evidence and references as JPEG files under a folder. This is the
 * only code that puts biometric data on disk; it is off unless the variable names a folder, and says so loudly.
 */
export class DebugFrameWriter {
  constructor(private readonly dir: string) {
    rootLogger.warn(`DEBUG_SAVE_FRAMES is on: face images of every flow are written to ${dir}. Never use this in production.`);
  }

  /** Writes the images of one flow; failures are logged, never thrown into the flow. */
  save(flowId: string, images: { name: string; image: RawImage }[]): void {
    const folder = join(this.dir, flowId.replace(/[^a-zA-Z0-9-]/g, '_'));
    void (async () => {
      await mkdir(folder, { recursive: true });
      for (const { name, image } of images) {
        const jpeg = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
          .jpeg({ quality: 90 })
          .toBuffer();
        await writeFile(join(folder, `${name}.jpg`), jpeg);
      }
    })().catch((error: Error) => rootLogger.error({ flow_id: flowId }, `debug frames not saved: ${error.message}`));
  }
}
