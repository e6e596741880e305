// Data subject requests (admins only): everything stored about a customer as one JSON document
// (access), or all of it erased. Erasure cannot be undone: the id must be typed a second time.
import { useState } from 'preact/hooks';
import { base, type Session } from '../api';
import { ErasureForm } from '../components/erasure';

export function PrivacyView(_props: { session: Session }) {
  const [id, setId] = useState('');
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
      <ErasureForm id={trimmed} />
    </>
  );
}
