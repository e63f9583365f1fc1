/** A small seeded PRNG (mulberry32) so fuzz cases are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random JSON-ish junk of bounded depth: every type a careless client could send. */
export function junk(random: () => number, depth = 0): unknown {
  const pick = Math.floor(random() * (depth > 2 ? 7 : 10));
  const text = () => {
    const alphabet = ['a', 'ñ', '€', '\u0000', '\n', '"', '\\', '/', '%2F', '🙂', ' ', '<script>', '../', '\u202e'];
    return Array.from({ length: Math.floor(random() * 40) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  };
  switch (pick) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return [0, -1, 1e308, -0, 3.14, Number.MAX_SAFE_INTEGER][Math.floor(random() * 6)];
    case 3:
      return text();
    case 4:
      return 'x'.repeat(Math.floor(random() * 5000));
    case 5:
      return (
        ['ws://', 'http://', 'data:image/png;base64,', 'javascript:', 'file:///etc/passwd', 'ws://h/?roomId=&peerId='][
          Math.floor(random() * 6)
        ] + text()
      );
    case 6:
      return '';
    case 7:
      return Array.from({ length: Math.floor(random() * 4) }, () => junk(random, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [text() || 'k', junk(random, depth + 1)]));
  }
}
