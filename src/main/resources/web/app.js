// Earshot's page: plain JavaScript modules, no framework, nothing loaded from another host.
import { $, API, authHeaders, explain, json, key, setKey, showError } from './api.js';
import * as jobs from './jobs.js';
import * as live from './live.js';
import { rememberFile, rememberUrl, wirePlayer } from './transcript.js';

function options() {
  const o = {
    model: $('model').value.trim() || 'whisper-1',
    language: $('language').value.trim() || 'auto',
    translate: $('translate').checked,
    word_timestamps: $('words').checked,
  };
  if ($('analysis-option').checked) {
    o.perform_analysis = true;
    if ($('provider').value) o.api_name = $('provider').value;
  }
  return o;
}

// ---- upload and URL submit ----

function uploadOne(file) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append('file', file, file.name);
    for (const [k, v] of Object.entries(options())) form.append(k, String(v));
    const xhr = new XMLHttpRequest();
    xhr.open('POST', API + '/jobs/upload');
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    const bar = $('upload-progress');
    bar.hidden = false;
    bar.value = 0;
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
    xhr.onload = async () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        bar.value = 100;
        resolve(JSON.parse(xhr.responseText));
      } else {
        reject(new Error(await explain(new Response(xhr.responseText, { status: xhr.status }))));
      }
    };
    xhr.onerror = () => reject(new Error('The upload of ' + file.name + ' failed: the server could not be reached.'));
    xhr.send(form);
  });
}

async function submit(files) {
  showError('');
  const url = $('url').value.trim();
  if (!files.length && !url) { showError('Choose a file or enter a URL first.'); return; }
  const status = $('upload-status');
  try {
    for (const file of files) {
      status.textContent = 'Uploading ' + file.name + '…';
      const job = await uploadOne(file);
      rememberFile(job.id, file);
      status.textContent = 'Job ' + job.id + ' accepted.';
      jobs.refreshJob(job.id);
    }
    if (url) {
      const job = await json('POST', '/jobs/submit', Object.assign({ url }, options()));
      rememberUrl(job.id, url);
      status.textContent = 'Job ' + job.id + ' accepted.';
      $('url').value = '';
      jobs.refreshJob(job.id);
    }
    $('file-input').value = '';
  } catch (e) {
    status.textContent = '';
    showError(e.message);
  }
}

// ---- usage ----

/** Today's usage as a person reads it: the tier, minutes used and left, what runs now; then the tier's limits. */
function showUsage(u) {
  const active = u.active || {};
  const limits = u.limits || {};
  const rows = [
    ['Tier', u.tier],
    ['Minutes used today', round(u.minutes_used) + (u.minutes_reserved ? ' (+' + round(u.minutes_reserved)
      + ' held by running jobs)' : '')],
    ['Minutes left today', u.minutes_left == null ? 'no daily limit' : round(u.minutes_left)],
    ['Resets', u.resets_at ? new Date(u.resets_at).toLocaleString() : ''],
    ['Active jobs', active.jobs + ' of ' + limit(limits.concurrent_jobs) + (active.queued ? ', ' + active.queued + ' queued' : '')],
    ['Live streams', active.streams + ' of ' + limit(limits.concurrent_streams)],
    ['Longest file', limits.max_file_minutes == null ? 'no limit' : limits.max_file_minutes + ' minutes'],
  ];
  $('usage').replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v == null ? '' : String(v);
    return [dt, dd];
  }));
}

function round(minutes) { return minutes == null ? '' : (Math.round(minutes * 10) / 10).toString(); }

function limit(n) { return n == null ? 'unlimited' : String(n); }

async function usage() {
  const u = await json('GET', '/usage');
  showUsage(u);
  return u;
}

// ---- choices the server offers ----

async function providers() {
  try {
    const p = await json('GET', '/providers');
    $('provider').replaceChildren(...p.providers.map((x) =>
      Object.assign(document.createElement('option'), { value: x.name, textContent: x.name + ' (' + x.model + ')' })));
    $('analysis-row').hidden = p.providers.length === 0;
  } catch (ignored) { $('analysis-row').hidden = true; }
}

function models() {
  fetch('/v1/models', { headers: authHeaders() }).then((r) => (r.ok ? r.json() : { data: [] })).then((m) => {
    $('models').replaceChildren(...(m.data || []).map((x) => Object.assign(document.createElement('option'), { value: x.id })));
  }).catch(() => {});
}

// ---- start ----

async function signIn() {
  showError('');
  jobs.stop();
  $('transcript-section').hidden = true;
  $('usage').replaceChildren();
  try {
    jobs.signedInAs(await usage());
    $('all-owners').checked = false;
    await jobs.setAllOwners(false);
    providers();
    models();
  } catch (e) { showError(e.message); }
}

document.addEventListener('DOMContentLoaded', () => {
  $('api-key').value = key();
  $('key-save').addEventListener('click', () => { setKey($('api-key').value.trim()); signIn(); });
  $('api-key').addEventListener('keydown', (e) => { if (e.key === 'Enter') $('key-save').click(); });
  $('upload-button').addEventListener('click', () => submit([...$('file-input').files]));
  $('usage-refresh').addEventListener('click', () => usage().catch((e) => showError(e.message)));
  $('mic-button').addEventListener('click', () => (live.active() ? live.stopMic(true) : live.startMic(options())));
  $('load-more').addEventListener('click', jobs.loadMore);
  $('all-owners').addEventListener('change', (e) => jobs.setAllOwners(e.target.checked).catch((err) => showError(err.message)));
  $('summary-refresh').addEventListener('click', jobs.summary);
  $('analysis-option').addEventListener('change', (e) => { $('provider').disabled = !e.target.checked; });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); submit([...e.dataTransfer.files]); });
  // A job that ended changed today's minutes: show them again, at most every 2 s.
  let usageTimer = null;
  document.addEventListener('earshot:job-ended', () => {
    if (usageTimer == null) usageTimer = setTimeout(() => { usageTimer = null; usage().catch(() => {}); }, 2000);
  });
  wirePlayer();
  signIn();
});
