// UUID v4, for messageIds and the visitor and session ids.
//
// crypto.randomUUID exists only in secure contexts (https and localhost): a shop served over
// plain http gets the getRandomValues fallback, which sets the version nibble (4) and the variant
// bits (10xx) around 122 random bits, as RFC 9562 asks. The `uuid` package does the same, but
// its options and error paths cost ~300 B gzip in spur.js: a tenth of the size budget.

export function uuid(): string {
  return crypto.randomUUID
    ? crypto.randomUUID()
    : '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) =>
        (+c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (+c / 4)))).toString(16),
      );
}
