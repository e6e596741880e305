// Webhooks (admins only): the endpoints the collector POSTs to when carts are abandoned, orders
// complete and surveys are answered; add one (its secret is shown once), rotate its secret, remove
// it, and see its latest delivery attempts. The admin API's /v1/webhooks routes, with the
// session's CSRF token for every change.
import { useState } from 'preact/hooks';
import { getJson, send, type Session } from '../api';
import { LoadStatus } from '../components/status';
import { useData } from '../components/use-data';
import { shopTime } from '../dates';

const TYPES = [
  ['order.completed', 'Order completed'],
  ['cart.abandoned', 'Cart abandoned'],
  ['survey.answered', 'Survey answered'],
] as const;

interface Endpoint {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  createdAt: string;
  disabledReason: string | null;
  deliveries: Partial<Record<'delivered' | 'pending' | 'failed' | 'disabled', number>>;
}

interface Attempt {
  messageId: string;
  type: string;
  attempt: number;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  at: string;
}

export function WebhooksView({ session }: { session: Session }) {
  const [version, setVersion] = useState(0);
  const loaded = useData(`webhooks-${version}`, (signal) => getJson<{ endpoints: Endpoint[] }>('/v1/webhooks', signal));
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState<string[]>(['order.completed']);
  const [secret, setSecret] = useState<{ id: string; secret: string; rotated: boolean } | null>(null);
  const [problem, setProblem] = useState('');
  const [removing, setRemoving] = useState<string | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const reload = () => setVersion((v) => v + 1);

  async function act(work: () => Promise<void>) {
    setProblem('');
    try {
      await work();
    } catch (err) {
      setProblem((err as Error).message);
    }
    reload();
  }
  const add = (e: Event) => {
    e.preventDefault();
    void act(async () => {
      const added = await send<{ endpoint: Endpoint; secret: string }>('POST', '/v1/webhooks', { url: url.trim(), events: types });
      setSecret({ id: added.endpoint.id, secret: added.secret, rotated: false });
      setUrl('');
    });
  };
  const rotate = (id: string) =>
    act(async () => {
      const rotated = await send<{ secret: string }>('POST', `/v1/webhooks/${id}/rotate`);
      setSecret({ id, secret: rotated.secret, rotated: true });
    });
  const remove = (id: string) =>
    act(async () => {
      await send('DELETE', `/v1/webhooks/${id}`);
      setRemoving(null);
      if (shown === id) setShown(null);
    });
  const endpoints = loaded.data?.endpoints ?? [];

  return (
    <>
      <h1>Webhooks</h1>
      <p class="intro">
        The collector POSTs to these URLs when a cart is abandoned, an order completes or a survey is answered, signed as Standard Webhooks specifies
        (<code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>). Failed deliveries are retried for about two days; a
        receiver that answers 410 is disabled.
      </p>
      <form class="privacy-form" onSubmit={add}>
        <label>
          <span>Receiver URL</span>
          <input type="url" required value={url} placeholder="https://crm.example/hooks/spur" spellcheck={false} onInput={(e) => setUrl((e.target as HTMLInputElement).value)} />
        </label>
        <fieldset>
          <legend>Send</legend>
          {TYPES.map(([type, label]) => (
            <label class="check">
              <input
                type="checkbox"
                checked={types.includes(type)}
                onChange={(e) => setTypes((before) => ((e.target as HTMLInputElement).checked ? [...before, type] : before.filter((t) => t !== type)))}
              />{' '}
              {label} <code>{type}</code>
            </label>
          ))}
        </fieldset>
        <div class="actions">
          <button class="primary" type="submit" disabled={types.length === 0 || url.trim() === ''}>
            Add endpoint
          </button>
        </div>
      </form>
      {problem && (
        <p class="warning" role="alert">
          {problem}
        </p>
      )}
      {secret && (
        <section class="secret" role="status" data-testid="webhook-secret">
          <h2>{secret.rotated ? 'New signing secret' : 'Signing secret'}</h2>
          <p>
            For <code>{secret.id}</code>, shown this once: keep it with the receiver.{secret.rotated ? ' The old secret keeps signing for 24 hours.' : ''}
          </p>
          <pre class="json">{secret.secret}</pre>
          <button type="button" onClick={() => setSecret(null)}>
            I have kept it
          </button>
        </section>
      )}
      <LoadStatus loaded={loaded} />
      <section>
        <h2>Endpoints</h2>
        {endpoints.length === 0 ? (
          <p class="muted">No endpoints yet.</p>
        ) : (
          <table data-testid="webhook-endpoints">
            <caption class="visually-hidden">Webhook endpoints</caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Sends</th>
                <th scope="col">State</th>
                <th scope="col" class="num">Delivered</th>
                <th scope="col" class="num">Pending</th>
                <th scope="col" class="num">Failed</th>
                <th scope="col">Added</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {endpoints.map((e) => (
                <tr data-endpoint-id={e.id}>
                  <td data-label="URL" class="id">
                    {e.url}
                  </td>
                  <td data-label="Sends">{e.events.join(', ')}</td>
                  <td data-label="State">{e.enabled ? 'enabled' : `disabled: ${e.disabledReason ?? ''}`}</td>
                  <td data-label="Delivered" class="num">
                    {e.deliveries.delivered ?? 0}
                  </td>
                  <td data-label="Pending" class="num">
                    {e.deliveries.pending ?? 0}
                  </td>
                  <td data-label="Failed" class="num">
                    {(e.deliveries.failed ?? 0) + (e.deliveries.disabled ?? 0)}
                  </td>
                  <td data-label="Added">{shopTime(e.createdAt, session.timeZone, false)}</td>
                  <td data-label="Actions">
                    <div class="actions">
                      <button
                        type="button"
                        onClick={() => {
                          setShown(shown === e.id ? null : e.id);
                          reload();
                        }}
                        aria-expanded={shown === e.id}
                      >
                        Deliveries
                      </button>
                      <button type="button" onClick={() => void rotate(e.id)}>
                        Rotate secret
                      </button>
                      {removing === e.id ? (
                        <button type="button" class="danger" onClick={() => void remove(e.id)}>
                          Confirm removal
                        </button>
                      ) : (
                        <button type="button" onClick={() => setRemoving(e.id)}>
                          Remove
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {shown && <Deliveries id={shown} session={session} version={version} />}
    </>
  );
}

function Deliveries({ id, session, version }: { id: string; session: Session; version: number }) {
  const loaded = useData(`attempts-${id}-${version}`, (signal) => getJson<{ attempts: Attempt[] }>(`/v1/webhooks/${id}/attempts`, signal));
  const attempts = loaded.data?.attempts ?? [];
  return (
    <section>
      <h2>
        Latest deliveries of <code>{id}</code>
      </h2>
      <LoadStatus loaded={loaded} />
      {loaded.data && attempts.length === 0 && <p class="muted">No attempts yet.</p>}
      {attempts.length > 0 && (
        <table data-testid="webhook-attempts">
          <caption class="visually-hidden">Delivery attempts, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Type</th>
              <th scope="col">webhook-id</th>
              <th scope="col" class="num">Attempt</th>
              <th scope="col" class="num">Status</th>
              <th scope="col" class="num">ms</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {attempts.map((a) => (
              <tr>
                <td data-label="Time">{shopTime(a.at, session.timeZone)}</td>
                <td data-label="Type">{a.type}</td>
                <td data-label="webhook-id" class="id">
                  {a.messageId}
                </td>
                <td data-label="Attempt" class="num">
                  {a.attempt}
                </td>
                <td data-label="Status" class="num">
                  {a.statusCode ?? '–'}
                </td>
                <td data-label="ms" class="num">
                  {a.durationMs}
                </td>
                <td data-label="Error">{a.error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
