// The recovery passphrase the first-run wizard proposes: 24 characters from an alphabet without look-alikes
// (no 0/o, 1/l/i), in groups of four so it can be written on paper and typed back. About 120 bits.
const ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";

export function generatePassphrase(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const chars: string[] = [];
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % ALPHABET.length);
  while (chars.length < 24) {
    for (const byte of random(new Uint8Array(32))) {
      if (byte < limit && chars.length < 24) chars.push(ALPHABET[byte % ALPHABET.length]);
    }
  }
  return chars.join("").match(/.{4}/g)!.join("-");
}

/** Typed back from paper: case, spaces and missing dashes do not matter. */
export function samePassphrase(typed: string, shown: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/[\s-]/g, "");
  return norm(typed) === norm(shown);
}
