// Live: events as the collector commits them (GET /v1/live, Server-Sent Events), newest first, the
// latest 200, in the shop's time.
import { useEffect, useRef, useState } from 'preact/hooks';
import { base, type Session } from '../api';
import { shopTime } from '../dates';

interface LiveEvent {
  messageId: string;
  timestamp: string;
  receivedAt: string;
  type: string;
  name: string | null;
  path: string | null;
  device: string | null;
  anonymousId: string | null;
  userId: string | null;
}

const KEEP = 200;

export function LiveView({ session }: { session: Session }) {
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [state, setState] = useState<'connecting' | 'open' | 'closed'>('connecting');
  const [paused, setPaused] = useState(false);
  const pausedRef = useRef(false);
  pausedRef.current = paused;
  useEffect(() => {
    const source = new EventSource(`${base}/v1/live`);
    source.onopen = () => setState('open');
    // The browser reconnects by itself after a network error; a refusal (signed out) closes it.
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'closed' : 'connecting');
    source.addEventListener('events', (e) => {
      if (pausedRef.current) return;
      const batch = JSON.parse((e as MessageEvent<string>).data) as LiveEvent[];
      setEvents((before) => [...batch.reverse(), ...before].slice(0, KEEP));
    });
    return () => source.close();
  }, []);
  const label = { connecting: 'Connecting…', open: 'Receiving events as they arrive.', closed: 'Disconnected. Reload the page to reconnect.' }[state];
  return (
    <>
      <h1>Live</h1>
      <div class="live-bar">
        <p class={`live-state ${state}`} role="status" data-testid="live-state">
          {paused ? 'Paused.' : label}
        </p>
        <button type="button" onClick={() => setPaused(!paused)} aria-pressed={paused}>
          {paused ? 'Resume' : 'Pause'}
        </button>
      </div>
      {events.length === 0 ? (
        <p class="empty">No events since this page opened. They appear here as the shop sends them.</p>
      ) : (
        <table class="live" data-testid="live-table">
          <caption class="visually-hidden">Latest events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Time ({session.timeZone})</th>
              <th scope="col">Event</th>
              <th scope="col">Page</th>
              <th scope="col">Device</th>
              <th scope="col">Visitor</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.messageId} data-message-id={e.messageId}>
                <td data-label="Time">{shopTime(e.timestamp, session.timeZone)}</td>
                <td data-label="Event">
                  {e.type === 'track' ? e.name : `${e.type}${e.name ? `: ${e.name}` : ''}`}
                </td>
                <td data-label="Page">{e.path ?? '–'}</td>
                <td data-label="Device">{e.device ?? '–'}</td>
                <td data-label="Visitor" class="id">
                  {e.userId ?? e.anonymousId ?? '–'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
