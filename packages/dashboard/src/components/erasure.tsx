// Erasing everything stored about a customer (admins only: DELETE /v1/privacy/subjects/:id). It
// cannot be undone, so the id must be typed a second time; the answer (counts, time) is shown.
import { useState } from 'preact/hooks';
import { send } from '../api';

interface Erased {
  [key: string]: unknown;
}

export function ErasureForm({ id, onErased }: { id: string; onErased?: () => void }) {
  const [confirm, setConfirm] = useState('');
  const [result, setResult] = useState<{ ok: boolean; text: string; erasure?: Erased }>();
  return (
    <>
      <form
        class="privacy-form danger"
        onSubmit={(e) => {
          e.preventDefault();
          send<Erased>('DELETE', `/v1/privacy/subjects/${encodeURIComponent(id)}`).then(
            (erasure) => {
              setResult({ ok: true, text: `Erased ${id}.`, erasure });
              setConfirm('');
              onErased?.();
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
        <button type="submit" class="danger" disabled={!id || confirm.trim() !== id}>
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
