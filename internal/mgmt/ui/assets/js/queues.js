// Queues: the paged list (the API's page, page_size, name, use_regex
// and sort parameters) and the add form.

import { api, enc, listPath, query } from './api.js';
import { h, clear, table, form, field, input, select, checkbox, textarea, parseJSONObject, features, fmtNum, fmtRate, rate, toast, link, section } from './dom.js';

// state survives navigating to a queue and back.
const state = { page: 1, size: 50, name: '', regex: false, sort: 'name', reverse: false };

export const queueHref = (vhost, name) => `#/queues/${enc(vhost)}/${enc(name)}`;

export function queuesPage(ctx) {
  const list = h('div', {});
  const pager = h('div', { class: 'pager' });
  const filter = h('input', { type: 'search', placeholder: 'Filter by name', value: state.name, 'aria-label': 'Filter queues by name' });
  const regex = h('input', { type: 'checkbox', checked: state.regex });
  const size = h('select', { 'aria-label': 'Page size' }, [20, 50, 100, 500].map((n) => h('option', { value: n, selected: n === state.size }, `${n} per page`)));
  let debounce = null;
  filter.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { state.name = filter.value; state.page = 1; refresh().catch((e) => toast(e.message, true)); }, 250);
  });
  regex.addEventListener('change', () => { state.regex = regex.checked; state.page = 1; refresh().catch((e) => toast(e.message, true)); });
  size.addEventListener('change', () => { state.size = Number(size.value); state.page = 1; refresh().catch((e) => toast(e.message, true)); });

  const add = form([
    field('Virtual host', select('vhost', ctx.vhosts, ctx.defaultVHost())),
    field('Name', input('name', { required: true, autocomplete: 'off' })),
    field('Durability', select('durable', [['true', 'Durable'], ['false', 'Transient']], 'true')),
    field('Auto-delete', checkbox('auto_delete', false)),
    field('Arguments', textarea('arguments', { rows: 2, placeholder: '{"x-message-ttl": 60000, "x-max-length": 1000}' }),
      'A JSON object; optional. x-message-ttl, x-expires, x-max-length, x-max-length-bytes, x-overflow, x-dead-letter-exchange, x-dead-letter-routing-key, x-max-priority, x-single-active-consumer…'),
  ], 'Add queue', async (v, f) => {
    await api('PUT', `/queues/${enc(v.vhost)}/${enc(v.name)}`, {
      durable: v.durable === 'true', auto_delete: v.auto_delete, arguments: parseJSONObject(v.arguments, 'Arguments'),
    });
    toast(`Queue ${v.name} added.`);
    f.name.value = '';
    await refresh();
  });

  const el = h('div', {}, h('h1', {}, 'Queues'),
    h('div', { class: 'toolbar' }, filter, h('label', {}, regex, ' Regex'), size, pager),
    list, section('Add a new queue', true, add));

  function sortBy(key) {
    if (state.sort === key) state.reverse = !state.reverse;
    else { state.sort = key; state.reverse = false; }
    refresh().catch((e) => toast(e.message, true));
  }

  function th(title, key) {
    const mark = state.sort === key ? (state.reverse ? ' ▼' : ' ▲') : '';
    return h('button', { type: 'button', class: 'sort', title: 'Sort by ' + title, onclick: () => sortBy(key) }, title + mark);
  }

  async function refresh() {
    const q = query({
      page: state.page, page_size: state.size, name: state.name, use_regex: state.regex ? 'true' : '',
      sort: state.sort, sort_reverse: state.reverse ? 'true' : '',
    });
    let r;
    try {
      r = await api('GET', listPath('queues', ctx.vhost) + q);
    } catch (e) {
      if (e.type === 'page_out_of_range' && state.page > 1) { state.page = 1; return refresh(); }
      throw e;
    }
    if (r.page_count > 0 && state.page > r.page_count) { state.page = r.page_count; return refresh(); }
    const cols = [];
    if (!ctx.vhost) cols.push({ title: th('Virtual host', 'vhost'), get: (x) => x.vhost });
    cols.push(
      { title: th('Name', 'name'), get: (x) => link(queueHref(x.vhost, x.name), x.name) },
      { title: 'Type', get: (x) => x.type },
      { title: 'Features', get: features },
      { title: 'State', get: (x) => x.state },
      { title: th('Ready', 'messages_ready'), num: true, get: (x) => h('span', { dataset: { k: 'ready' } }, fmtNum(x.messages_ready)) },
      { title: th('Unacked', 'messages_unacknowledged'), num: true, get: (x) => fmtNum(x.messages_unacknowledged) },
      { title: th('Total', 'messages'), num: true, get: (x) => h('span', { dataset: { k: 'messages' } }, fmtNum(x.messages)) },
      { title: th('Consumers', 'consumers'), num: true, get: (x) => fmtNum(x.consumers) },
      { title: 'Incoming', num: true, get: (x) => fmtRate(rate(x, 'publish')) },
      { title: 'Deliver / get', num: true, get: (x) => fmtRate(rate(x, 'deliver_get')) },
      { title: 'Ack', num: true, get: (x) => fmtRate(rate(x, 'ack')) },
    );
    const t = table(cols, r.items, state.name ? 'No queues match' : 'No queues');
    t.querySelectorAll('tbody tr').forEach((tr, i) => { if (r.items[i]) tr.dataset.queue = r.items[i].name; });
    clear(list, t, h('p', { class: 'muted' },
      `${fmtNum(r.filtered_count)} queue(s)` + (r.filtered_count !== r.total_count ? ` matching, of ${fmtNum(r.total_count)}` : '')));
    const last = Math.max(1, r.page_count);
    const go = (p) => () => { state.page = p; refresh().catch((e) => toast(e.message, true)); };
    clear(pager,
      h('button', { type: 'button', class: 'secondary small', disabled: state.page <= 1, onclick: go(state.page - 1) }, '‹ Prev'),
      h('span', {}, `Page ${state.page} of ${last}`),
      h('button', { type: 'button', class: 'secondary small', disabled: state.page >= last, onclick: go(state.page + 1) }, 'Next ›'));
  }
  return { el, refresh };
}
