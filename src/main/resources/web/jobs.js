// The job list: the caller's jobs (an admin's: everyone's, on request), kept live from the job-events stream, with
// older pages on demand, and the per-owner summary for an admin.
import { $, API, button, call, clock, isJwt, json, showError, tokenQuery } from './api.js';
import { openTranscript } from './transcript.js';

const PAGE = 50;
const jobs = new Map(); // id -> job as GET /jobs/{id} shows it
let events = null;
let me = { owner_user_id: null, admin: false };
let allOwners = false;
let nextCursor = null;
let changedWhileLoading = null; // ids of jobs whose events arrived while the newest page loaded
let summaryTimer = null;

// A queued job's place moves when other owners' jobs start, which its own event stream does not carry: while any
// job shown is queued, ask for their places every few seconds (the first 20 of them).
setInterval(() => {
  [...jobs.values()].filter((j) => j.status === 'queued').slice(0, 20).forEach((j) => refreshJob(j.id));
}, 3000);

/**
 * Who is signed in ({owner_user_id, admin} from /usage); shows the admin controls to an admin of a multi-user (JWT)
 * node. With an API key there is one owner, so there is nobody else's jobs to show.
 */
export function signedInAs(usage) {
  me = { owner_user_id: usage.owner_user_id, admin: usage.admin === true && isJwt() };
  $('admin-section').hidden = !me.admin;
  $('all-owners-row').hidden = !me.admin;
  if (!me.admin) allOwners = false;
}

export function setAllOwners(on) {
  allOwners = on && me.admin;
  $('jobs-table').classList.toggle('show-owner', allOwners);
  return start();
}

/**
 * Follows every change, then loads the newest page. The server answers the stream once it is subscribed, so nothing
 * that happens after the page's snapshot is missed; the jobs that changed while the page loaded are asked for again,
 * since an event may be older or newer than the snapshot.
 */
export async function start() {
  changedWhileLoading = [];
  await follow();
  try {
    await loadPage(null);
  } finally {
    const changed = new Set(changedWhileLoading);
    changedWhileLoading = null;
    changed.forEach(refreshJob);
  }
  if (me.admin) summary();
}

function listPath(cursor) {
  const params = new URLSearchParams({ limit: String(PAGE) });
  if (cursor) params.set('cursor', cursor);
  return (allOwners ? '/jobs/admin/list?' : '/jobs?') + params;
}

async function loadPage(cursor) {
  const page = await json('GET', listPath(cursor));
  if (!cursor) {
    jobs.clear();
    $('jobs').replaceChildren();
  }
  page.jobs.forEach((j) => upsert(j, 'append'));
  nextCursor = page.next_cursor == null ? null : String(page.next_cursor);
  $('load-more').hidden = nextCursor == null;
}

export async function loadMore() {
  showError('');
  if (nextCursor) {
    try { await loadPage(nextCursor); } catch (e) { showError(e.message); }
  }
}

export async function refreshJob(id) {
  try { upsert(await json('GET', '/jobs/' + id)); } catch (ignored) { /* the stream will tell */ }
}

/**
 * Follows the jobs live; EventSource reconnects (with Last-Event-ID) by itself. Resolves once the stream is open (or
 * after 5 s without it: the list still loads, and the stream keeps trying).
 */
function follow() {
  if (events) events.close();
  // An admin's stream carries every owner's jobs: ask for their own unless they chose to see everyone's.
  const only = me.admin && !allOwners && me.owner_user_id ? { owner_user_id: me.owner_user_id } : {};
  const stream = new EventSource(API + '/jobs/events' + tokenQuery(only));
  events = stream;
  stream.onmessage = (m) => {
    const job = JSON.parse(m.data);
    if (changedWhileLoading) {
      changedWhileLoading.push(job.id);
      return;
    }
    delete job.event;
    delete job.seq;
    upsert(job, 'prepend');
    if (job.status === 'completed' && job.realtime_factor == null) refreshJob(job.id);
    if (['completed', 'failed', 'cancelled'].includes(job.status)) document.dispatchEvent(new CustomEvent('earshot:job-ended'));
    if (me.admin) summarySoon();
  };
  return new Promise((resolve) => {
    stream.addEventListener('open', resolve, { once: true });
    setTimeout(resolve, 5000);
  });
}

/** Signed out (or signing in again): no stream, and nothing of the previous key's jobs left on the page. */
export function stop() {
  if (events) events.close();
  events = null;
  jobs.clear();
  $('jobs').replaceChildren();
  $('load-more').hidden = true;
  $('owner-summary').replaceChildren();
}

function statusText(job) {
  return job.status + (job.status === 'queued' && job.queue_position != null ? ' (#' + job.queue_position + ')' : '');
}

function speed(job) {
  if (job.realtime_factor == null) return '';
  const span = document.createElement('span');
  span.dataset.testid = 'job-rtf';
  span.textContent = job.realtime_factor.toFixed(2);
  span.title = 'Processing took ' + job.realtime_factor.toFixed(2) + '× the audio\'s length'
    + (job.realtime_factor > 0 ? ' (' + (1 / job.realtime_factor).toFixed(1) + '× faster than real time)' : '');
  return span;
}

function actions(job) {
  const td = document.createElement('td');
  if (job.status === 'completed') td.append(button('Open', 'open-transcript', () => openTranscript(job.id)));
  if (job.status === 'queued' || job.status === 'processing') {
    td.append(button('Cancel', 'cancel-button', () => act(job.id, 'cancel')));
  }
  if (job.status === 'failed' || job.status === 'cancelled') {
    td.append(button('Retry', 'retry-button', () => act(job.id, 'retry')));
  }
  return td;
}

/** Shows the job: a new row at the top ('prepend', a new job) or the bottom ('append', an older page). */
function upsert(job, where) {
  job = Object.assign({}, jobs.get(job.id) || {}, job);
  jobs.set(job.id, job);
  let row = document.querySelector('tr[data-job="' + job.id + '"]');
  if (!row) {
    row = document.createElement('tr');
    row.dataset.job = job.id;
    row.dataset.testid = 'job-row';
    if (where === 'append') $('jobs').append(row); else $('jobs').prepend(row);
  }
  const progress = document.createElement('progress');
  progress.max = 100;
  progress.value = job.progress || 0;
  progress.dataset.testid = 'job-progress';
  progress.setAttribute('aria-label', 'Progress of job ' + job.id);
  const status = document.createElement('span');
  status.dataset.testid = 'job-status';
  status.textContent = statusText(job);
  if (job.error) status.title = job.error;
  const owner = document.createElement('span');
  owner.dataset.testid = 'job-owner';
  owner.textContent = job.owner_user_id || '';
  const cells = [job.id + (job.model ? ' · ' + job.model : ''), owner, status, progress,
    job.duration_seconds != null ? clock(job.duration_seconds) : '', speed(job)];
  row.replaceChildren(...cells.map((c) => {
    const td = document.createElement('td');
    td.append(c);
    return td;
  }), actions(job));
  row.querySelector('progress').after(' ' + (job.progress || 0) + '%');
}

async function act(id, what) {
  showError('');
  try {
    await call('POST', '/jobs/' + id + '/' + what);
    refreshJob(id);
  } catch (e) { showError(e.message); }
}

// ---- admin: every owner's counts ----

const STATUSES = ['queued', 'processing', 'completed', 'failed', 'cancelled'];

function summarySoon() {
  if (summaryTimer == null) summaryTimer = setTimeout(() => { summaryTimer = null; summary(); }, 2000);
}

export async function summary() {
  try {
    const body = await json('GET', '/jobs/admin/summary-by-owner');
    $('owner-summary').replaceChildren(...body.owners.map((o) => {
      const tr = document.createElement('tr');
      tr.dataset.testid = 'owner-row';
      const cells = [o.owner_user_id, ...STATUSES.map((s) => String((o.counts_by_status || {})[s] || 0)), String(o.total)];
      tr.append(...cells.map((c, i) => {
        const td = document.createElement(i === 0 ? 'th' : 'td');
        if (i === 0) td.scope = 'row';
        td.textContent = c;
        return td;
      }));
      return tr;
    }));
  } catch (e) { showError(e.message); }
}
