// The change feed read with fetch, since EventSource cannot send an Authorization header: one
// stream of all the tenant's phexts, parsed as Server-Sent Events, reopened after a drop.

const MAX_BACKOFF_MS = 10_000;

/**
 * Follows `/api/v2/watch` until `stop()` or a 401: `onEvent({event, data})` per event,
 * `onState(text, ended)` as the stream opens and drops, `ended` when it will not be reopened. After a drop the caller is told `reopened`: events may have been
 * missed meanwhile, so it reads what it shows again.
 */
export function follow(api, onEvent, onState) {
  const abort = new AbortController();
  let backoff = 500;
  (async () => {
    let opened = false;
    while (!abort.signal.aborted) {
      try {
        const res = await api.fetch('/api/v2/watch', { signal: abort.signal });
        // The token no longer opens the tenant (rotated, removed): asking again will not help.
        if (res.status === 401) return onState('signed out: the token was refused', true);
        if (!res.ok) throw new Error(`watch answered ${res.status}`);
        if (opened) onEvent({ event: 'reopened' });
        opened = true;
        backoff = 500;
        onState('live');
        await readEvents(res.body, onEvent);
      } catch (e) {
        if (abort.signal.aborted) return;
        onState(`reconnecting (${e.message})`);
      }
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  })();
  return { stop: () => abort.abort() };
}

async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('stream ended');
    buffer += value;
    const blocks = buffer.split('\n\n');
    buffer = blocks.pop();
    for (const block of blocks) {
      const fields = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
      }
      if (fields.data === undefined) continue;
      onEvent({ event: fields.event ?? 'message', data: JSON.parse(fields.data) });
    }
  }
}
