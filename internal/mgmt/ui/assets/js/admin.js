// Administration pages: virtual hosts, users, permissions, policies.

import { api, enc, listPath, userNames } from './api.js';
import { h, clear, table, form, field, input, select, textarea, parseJSONObject, jsonCell, fmtNum, toast, danger, section } from './dom.js';

// usersOnce returns a loader that fills sel with the users' names the
// first time it runs (the permission forms' user pickers).
export function usersOnce(sel) {
  let loaded = false;
  return async () => {
    if (loaded) return;
    clear(sel, (await userNames()).map((n) => h('option', { value: n }, n)));
    loaded = true;
  };
}

const tagList = (t) => (Array.isArray(t) ? t : String(t || '').split(',')).filter(Boolean);
const tags = (t) => tagList(t).map((x) => h('span', { class: 'tag' }, x));

export function vhostsPage(ctx) {
  const list = h('div', {});
  const add = form([
    field('Name', input('name', { required: true })),
    field('Description', input('description')),
    field('Tags', input('tags'), 'Comma-separated.'),
  ], 'Add virtual host', async (v, f) => {
    await api('PUT', '/vhosts/' + enc(v.name), { description: v.description, tags: v.tags });
    toast(`Virtual host ${v.name} added.`);
    f.reset();
    await ctx.reloadVHosts();
    await refresh();
  });
  const el = h('div', {}, h('h1', {}, 'Virtual hosts'), list, section('Add a new virtual host', false, add));

  async function refresh() {
    const vs = await api('GET', '/vhosts');
    clear(list, table([
      { title: 'Name', get: (v) => v.name },
      { title: 'Description', get: (v) => v.description || '' },
      { title: 'Tags', get: (v) => tags(v.tags) },
      { title: 'Ready', num: true, get: (v) => fmtNum(v.messages_ready) },
      { title: 'Unacked', num: true, get: (v) => fmtNum(v.messages_unacknowledged) },
      { title: 'Total', num: true, get: (v) => fmtNum(v.messages) },
      {
        title: '', get: (v) => danger('Delete', `Delete virtual host ${v.name} with all its exchanges, queues and messages?`, async () => {
          await api('DELETE', '/vhosts/' + enc(v.name));
          toast(`Virtual host ${v.name} deleted.`);
          await ctx.reloadVHosts();
          await refresh();
        }),
      },
    ], vs, 'No virtual hosts'));
  }
  return { el, refresh };
}

export function usersPage() {
  const list = h('div', {});
  const add = form([
    field('Username', input('name', { required: true, autocomplete: 'off' })),
    field('Password', input('password', { type: 'password', autocomplete: 'new-password' }), 'Empty keeps an existing user\'s password; a new user then has none (certificate login only).'),
    field('Tags', input('tags'), 'Comma-separated: administrator, monitoring, policymaker, management, impersonator.'),
  ], 'Add / update user', async (v, f) => {
    const body = { tags: v.tags };
    if (v.password) body.password = v.password;
    await api('PUT', '/users/' + enc(v.name), body);
    toast(`User ${v.name} saved.`);
    f.reset();
    await refresh();
  });
  const el = h('div', {}, h('h1', {}, 'Users'), list, section('Add or update a user', false, add));

  async function refresh() {
    const us = await api('GET', '/users');
    clear(list, table([
      { title: 'Name', get: (u) => u.name },
      { title: 'Tags', get: (u) => tags(u.tags) },
      { title: 'Can log in with password', get: (u) => (u.password_hash ? 'yes' : 'no') },
      {
        title: '', get: (u) => danger('Delete', `Delete user ${u.name}?`, async () => {
          await api('DELETE', '/users/' + enc(u.name));
          toast(`User ${u.name} deleted.`);
          await refresh();
        }),
      },
    ], us, 'No users'));
  }
  return { el, refresh };
}

export function permissionsPage(ctx) {
  const list = h('div', {});
  const userSel = select('user', [], '');
  const add = form([
    field('User', userSel),
    field('Virtual host', select('vhost', ctx.vhosts, ctx.defaultVHost())),
    field('Configure regexp', input('configure', { value: '.*' })),
    field('Write regexp', input('write', { value: '.*' })),
    field('Read regexp', input('read', { value: '.*' })),
  ], 'Set permission', async (v) => {
    await api('PUT', `/permissions/${enc(v.vhost)}/${enc(v.user)}`, { configure: v.configure, write: v.write, read: v.read });
    toast(`Permissions of ${v.user} on ${v.vhost} set.`);
    await refresh();
  });
  const el = h('div', {}, h('h1', {}, 'Permissions'), list, section('Set permissions', true, add));
  const loadUsers = usersOnce(userSel);

  async function refresh() {
    await loadUsers();
    const ps = (await api('GET', '/permissions')).filter((p) => !ctx.vhost || p.vhost === ctx.vhost);
    clear(list, table([
      { title: 'User', get: (p) => p.user },
      { title: 'Virtual host', get: (p) => p.vhost },
      { title: 'Configure', get: (p) => h('code', {}, p.configure) },
      { title: 'Write', get: (p) => h('code', {}, p.write) },
      { title: 'Read', get: (p) => h('code', {}, p.read) },
      {
        title: '', get: (p) => danger('Clear', `Remove the permissions of ${p.user} on ${p.vhost}?`, async () => {
          await api('DELETE', `/permissions/${enc(p.vhost)}/${enc(p.user)}`);
          toast('Permissions cleared.');
          await refresh();
        }),
      },
    ], ps, 'No permissions'));
  }
  return { el, refresh };
}

export function policiesPage(ctx) {
  const list = h('div', {});
  const add = form([
    field('Virtual host', select('vhost', ctx.vhosts, ctx.defaultVHost())),
    field('Name', input('name', { required: true })),
    field('Pattern', input('pattern', { required: true, placeholder: '^amq\\.' }), 'A regular expression matched against queue / exchange names.'),
    field('Apply to', select('apply_to', [['all', 'Exchanges and queues'], ['queues', 'Queues'], ['exchanges', 'Exchanges']], 'all')),
    field('Priority', input('priority', { type: 'number', value: '0' })),
    field('Definition', textarea('definition', { rows: 3, placeholder: '{"max-length": 1000, "message-ttl": 60000}', required: true }), 'A JSON object.'),
  ], 'Add / update policy', async (v, f) => {
    const def = parseJSONObject(v.definition, 'Definition');
    await api('PUT', `/policies/${enc(v.vhost)}/${enc(v.name)}`, {
      pattern: v.pattern, definition: def, priority: Number(v.priority) || 0, 'apply-to': v.apply_to,
    });
    toast(`Policy ${v.name} saved.`);
    f.name.value = '';
    await refresh();
  });
  const el = h('div', {}, h('h1', {}, 'Policies'), list, section('Add or update a policy', false, add));

  async function refresh() {
    const ps = await api('GET', listPath('policies', ctx.vhost));
    clear(list, table([
      { title: 'Virtual host', get: (p) => p.vhost },
      { title: 'Name', get: (p) => p.name },
      { title: 'Pattern', get: (p) => h('code', {}, p.pattern) },
      { title: 'Apply to', get: (p) => p['apply-to'] },
      { title: 'Definition', get: (p) => jsonCell(p.definition) },
      { title: 'Priority', num: true, get: (p) => fmtNum(p.priority) },
      {
        title: '', get: (p) => danger('Delete', `Delete policy ${p.name}?`, async () => {
          await api('DELETE', `/policies/${enc(p.vhost)}/${enc(p.name)}`);
          toast(`Policy ${p.name} deleted.`);
          await refresh();
        }),
      },
    ], ps, 'No policies'));
  }
  return { el, refresh };
}
