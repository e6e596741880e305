// UUID v4, for messageIds, page ids and the visitor and session ids.
//
// crypto.randomUUID exists only in secure contexts (https and localhost). A shop served over plain
// http gets the UUID v4 its browser puts at the end of every blob: URL (Chrome, Firefox and Safari
// make them with their own crypto random generator, lower-case, RFC 9562). Shorter in spur.js
// than setting the version and variant bits around getRandomValues; the `uuid` package would cost
// ~300 B gzip, a tenth of the size budget.

let url: string;

export const uuid = (): string =>
  crypto.randomUUID?.() || (URL.revokeObjectURL((url = URL.createObjectURL(new Blob()))), url.slice(-36));
