// Data subject requests (admins only): everything stored about a customer as one JSON document
// (access), or all of it erased. Erasure cannot be undone: the id must be typed a second time.
import { useState } from 'preact/hooks';
import { base, send, type Session } from '../api';

interface Erasure {
  subject?: string;
  counts?: Record<string, number>;
  [key: string]: unknown;
}

export function PrivacyView(_props: { session: Session }) {
  const [id, setId] = useState('');
  const [confirm, setConfirm] = useState('');
  const [result, setResult] = useState<{ ok: boolean; text: string; erasure?: Erasure }>();
  const trimmed = id.trim();
  const accessUrl = `${base}/v1/privacy/subjects/${encodeURIComponent(trimmed)}`;
  return (
    <>
      <h1>Data subject requests</h1>
      <p class="intro">
        For a customer id, or the anonymous id of a visitor who never logged in. Access downloads everything stored about them; erasure deletes it,
        keeping only a salted hash of the id, the counts and the time.
      </p>
      <form class="privacy-form" onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>Customer id</span>
          <input value={id} required autocomplete="off" spellcheck={false} onInput={(e) => setId((e.target as HTMLInputElement).value)} />
        </label>
        <div class="actions">
          {trimmed ? (
            <a class="button" href={accessUrl} download={`spur-access-${trimmed}.json`}>
              Download everything stored (JSON)
            </a>
          ) : (
            <span class="button disabled" aria-disabled="true">
              Download everything stored (JSON)
            </span>
          )}
        </div>
      </form>
      <form
        class="privacy-form danger"
        onSubmit={(e) => {
          e.preventDefault();
          send<Erasure>('DELETE', `/v1/privacy/subjects/${encodeURIComponent(trimmed)}`).then(
            (erasure) => {
              setResult({ ok: true, text: `Erased ${trimmed}.`, erasure });
              setConfirm('');
            },
            (err: Error) => setResult({ ok: false, text: `Not erased: ${err.message}` }),
          );
        }}
      >
        <h2>Erase</h2>
        <label>
          <span>Type the id again to erase it; this cannot be undone</span>
          <input value={confirm} required autocomplete="off" spellcheck={false} onInput={(e) => setConfirm((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="danger" disabled={!trimmed || confirm.trim() !== trimmed}>
          Erase everything about this customer
        </button>
      </form>
      <div role="status" class="status">
        {result && <p class={result.ok ? 'ok' : 'failed'}>{result.text}</p>}
        {result?.erasure && <pre class="json">{JSON.stringify(result.erasure, null, 2)}</pre>}
      </div>
    </>
  );
}
