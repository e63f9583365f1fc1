import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { InstructionVideo, PictureSource } from '../../src/transport/instruction-video';

/** A grey 320x240 picture; counts how often it is drawn. */
function countingPictures(): PictureSource & { drawn: number } {
  const data = new Uint8Array((320 * 240 * 3) / 2).fill(128);
  return {
    width: 320,
    height: 240,
    drawn: 0,
    render() {
      this.drawn++;
      return data;
    },
  };
}

/** Runs `steps` on a started 10 fps video of counting pictures, with Node's mocked timers. */
function withStartedVideo(steps: (video: InstructionVideo, pictures: ReturnType<typeof countingPictures>) => void): void {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  const pictures = countingPictures();
  const video = new InstructionVideo(pictures, 10);
  try {
    video.start();
    steps(video, pictures);
  } finally {
    video.stop();
    mock.timers.reset();
  }
}

describe('InstructionVideo', () => {
  it('should send 5 pictures 20 ms apart at start (the encoder drops its first 4), then one per 1/fps, and none after stop', () =>
    withStartedVideo((video, pictures) => {
      assert.equal(pictures.drawn, 1);
      mock.timers.tick(20);
      assert.equal(pictures.drawn, 2);
      for (let i = 0; i < 3; i++) mock.timers.tick(20); // Node 20's tick() runs no timer set while it ticks
      assert.equal(pictures.drawn, 5);
      mock.timers.tick(99);
      assert.equal(pictures.drawn, 5);
      mock.timers.tick(1);
      assert.equal(pictures.drawn, 6);
      for (let i = 0; i < 3; i++) mock.timers.tick(100);
      assert.equal(pictures.drawn, 9);
      video.start(); // already running: no second ticker
      mock.timers.tick(100);
      assert.equal(pictures.drawn, 10);
      video.stop();
      mock.timers.tick(1000);
      assert.equal(pictures.drawn, 10);
    }));

  it('should send nothing when stopped during the start burst', () =>
    withStartedVideo((video, pictures) => {
      mock.timers.tick(20);
      video.stop();
      mock.timers.tick(1000);
      assert.equal(pictures.drawn, 2);
    }));
});
