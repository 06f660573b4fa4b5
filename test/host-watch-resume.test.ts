// The change feed over 10,000 writes (the proof): a consumer that hangs up and resumes from
// its Last-Event-ID at random points ends with exactly the writers' changes, none missing, none twice.
import { test } from 'node:test';
import { HOST_STORES } from '../src/testing/host-stores.js';
import { checkResumes } from '../src/testing/resume-check.js';

const KEY = 'watch-resume-key-0123456789';

for (const store of HOST_STORES) {
  test(`sq host (${store.name}): 10,000 writes by 8 writers, a consumer resuming at random points: every change once, in order, the final state`, async (t) => {
    // No checkpoint during the run: the log holds every change, so no resume may need a reset (the
    // replays of folded records are host-watch's test). A checkpoint keeps the newest change of
    // each scroll; a consumer further behind than the least recently written scroll gets a reset.
    // (The database keeps the newest change of every scroll ever changed: it never needs one.)
    const host = await store.start(t, {
      args: ['--key', KEY, '--log-format', 'off', '--checkpoint-min', '64M', '--checkpoint-idle-ms', '600000'],
    });
    if (!host) return;
    await checkResumes({ port: host.port, key: KEY, p: 'many', workers: 8, perWorker: 1250, maxTake: 400 });
  });
}
