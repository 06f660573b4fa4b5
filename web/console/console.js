// The console's entry: sign in (the token kept in sessionStorage only), then the views the
// token opens — a tenant's phexts, the operator's view for the admin key, or both.

import { Api } from './api.js';
import { byId, say } from './dom.js';
import { follow } from './feed.js';
import { Operator } from './operator.js';
import { Phexts } from './phexts.js';

const KEY = 'sq.console.token';
let session;

async function signIn(token) {
  const api = new Api(token);
  const [tenant, admin] = await Promise.all([api.fetch('/api/v2/list'), api.fetch('/api/v2/admin/tenants')]);
  if (!tenant.ok && !admin.ok) {
    sessionStorage.removeItem(KEY);
    say(tenant.status === 401 ? 'That token opens nothing here.' : `Sign-in failed: ${tenant.status} ${await tenant.text()}`, true);
    byId('token').focus();
    return;
  }
  sessionStorage.setItem(KEY, token);
  session = { api, phexts: tenant.ok ? new Phexts(api) : undefined, operator: admin.ok ? new Operator(api) : undefined };
  byId('sign-in').hidden = true;
  byId('sign-out').hidden = false;
  byId('tabs').hidden = !(session.phexts && session.operator);
  byId('token').value = '';
  say('');
  if (session.phexts) {
    session.feed = follow(
      api,
      (event) => session?.phexts.onEvent(event),
      (state, ended) => {
        byId('live').textContent = state;
        if (ended) say('The server no longer accepts this token: sign out and in with a new one.', true);
      },
    );
    await session.phexts.refreshList();
  }
  showView(session.phexts ? 'phexts' : 'operator');
}

function showView(view) {
  byId('phexts-view').hidden = view !== 'phexts';
  byId('operator-view').hidden = view !== 'operator';
  byId('tab-phexts').setAttribute('aria-pressed', String(view === 'phexts'));
  byId('tab-operator').setAttribute('aria-pressed', String(view === 'operator'));
  if (view === 'operator') session.operator.start();
  else session?.operator?.stop();
}

function signOut() {
  sessionStorage.removeItem(KEY);
  session?.feed?.stop();
  session?.operator?.stop();
  session = undefined;
  // The views hold the tenant's data: a reload leaves nothing of it in the page.
  location.reload();
}

byId('version').textContent = `v${document.querySelector('meta[name="sq-version"]').content}`;
byId('sign-in').onsubmit = (e) => {
  e.preventDefault();
  signIn(byId('token').value.trim()).catch((err) => say(String(err.message ?? err), true));
};
byId('sign-out').onclick = signOut;
byId('tab-phexts').onclick = () => showView('phexts');
byId('tab-operator').onclick = () => showView('operator');

const saved = sessionStorage.getItem(KEY);
if (saved !== null) signIn(saved).catch((err) => say(String(err.message ?? err), true));
else byId('token').focus();
