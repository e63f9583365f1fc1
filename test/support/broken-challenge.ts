import { defineChallenge } from '../../src/liveness/challenge-definition';

/** A challenge plugin with a bug: its step throws, inside the flow machine's transition (the crash net's trigger). */
export const brokenChallenge = defineChallenge<Record<string, never>>({
  id: 'broken',
  instructionKey: 'challenge.blink',
  needs: [],
  thresholds: {},
  initialState: () => ({}),
  step: () => {
    throw new Error('plugin bug');
  },
});
