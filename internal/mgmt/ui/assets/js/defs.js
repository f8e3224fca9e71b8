// Definitions: export (download GET /api/definitions) and import (upload
// a file, POST /api/definitions), for the whole broker or one vhost.

import { api, enc, download } from './api.js';
import { h, form, field, select, toast } from './dom.js';

function defsPath(vhost) { return vhost ? '/definitions/' + enc(vhost) : '/definitions'; }

function fileName(vhost) {
  const host = location.hostname || 'warren';
  const date = new Date().toISOString().slice(0, 10);
  const v = vhost ? '_' + vhost.replace(/[^A-Za-z0-9_.-]/g, '_') : '';
  return `warren_${host}${v}_${date}.json`;
}

export function definitionsPage(ctx) {
  const vhostChoices = [['', 'All (the whole broker)'], ...ctx.vhosts.map((v) => [v, v])];
  const result = h('p', { class: 'muted', role: 'status' });
  const exp = form([
    field('Virtual host', select('vhost', vhostChoices, ctx.vhost)),
  ], 'Download definitions', async (v) => {
    await download(defsPath(v.vhost), fileName(v.vhost));
    toast('Definitions downloaded.');
  });
  const file = h('input', { type: 'file', name: 'file', accept: '.json,application/json', required: true });
  const imp = form([
    field('Definitions file', file),
    field('Virtual host', select('vhost', vhostChoices, ctx.vhost), 'All imports everything in the file; a vhost imports its objects into that vhost.'),
  ], 'Upload definitions', async (v) => {
    const f = file.files && file.files[0];
    if (!f) throw new Error('Choose a file first.');
    const text = await f.text();
    try { JSON.parse(text); } catch (e) { throw new Error('The file is not JSON: ' + e.message); }
    await api('POST', defsPath(v.vhost), text);
    result.textContent = `Imported ${f.name} (${f.size} bytes) at ${new Date().toLocaleTimeString()}.`;
    toast('Definitions imported.');
    await ctx.reloadVHosts();
  });
  const el = h('div', {}, h('h1', {}, 'Definitions'),
    h('p', {}, 'Definitions are the users, virtual hosts, permissions, policies, parameters, exchanges, queues and bindings, in RabbitMQ\'s JSON format: a file exported here imports into RabbitMQ and back.'),
    h('h2', {}, 'Export'), h('div', { class: 'panel' }, exp),
    h('h2', {}, 'Import'), h('div', { class: 'panel' }, imp, result));
  return { el };
}
