// A completed job's transcript: segments with their times, the words (when the job asked for them) highlighted
// while the audio plays and clickable to seek, the analysis, and downloads in every format.
import { $, button, call, clock, json, showError } from './api.js';

const FORMATS = [['txt', 'text'], ['srt', 'srt'], ['vtt', 'vtt'], ['json', 'json'], ['verbose_json', 'verbose_json']];
const SOURCES = 'earshot.sources';

// The audio a job was made from, where this tab can play it: the server keeps no copy once a job completes. An
// uploaded file's blob URL lives as long as the tab; a submitted URL is kept in sessionStorage.
const blobs = new Map();
let timed = []; // [{start, end, el}] in time order: the words, or the segments when there are none
let current = null;
let frame = 0;

export function rememberFile(id, file) { blobs.set(String(id), URL.createObjectURL(file)); }

export function rememberUrl(id, url) {
  const kept = JSON.parse(sessionStorage.getItem(SOURCES) || '{}');
  kept[id] = url;
  sessionStorage.setItem(SOURCES, JSON.stringify(kept));
}

function sourceOf(id) {
  return blobs.get(String(id)) || JSON.parse(sessionStorage.getItem(SOURCES) || '{}')[id] || null;
}

export async function openTranscript(id) {
  showError('');
  try {
    const [verbose, native] = await Promise.all([
      json('GET', '/jobs/' + id + '/result?format=verbose_json'),
      json('GET', '/jobs/' + id + '/result?format=json')]);
    render(verbose);
    $('transcript-job').textContent = '(job ' + id + ')';
    $('downloads').replaceChildren(...FORMATS.map(([label, format]) =>
      button('Download ' + label, 'download-' + label, () => download(id, format, label))));
    $('analysis-block').hidden = !native.analysis;
    $('analysis').textContent = native.analysis || '';
    player(id);
    $('transcript-section').hidden = false;
    $('transcript-section').scrollIntoView({ block: 'nearest' });
  } catch (e) { showError(e.message); }
}

function render(verbose) {
  timed = [];
  current = null;
  const segments = verbose.segments && verbose.segments.length ? verbose.segments
    : [{ start: 0, end: verbose.duration, text: verbose.text }];
  $('transcript').replaceChildren(...segments.map((seg) => {
    const li = document.createElement('li');
    const time = document.createElement('button');
    time.type = 'button';
    time.className = 'time';
    time.textContent = clock(seg.start) + '–' + clock(seg.end);
    time.setAttribute('aria-label', 'Play from ' + clock(seg.start));
    time.addEventListener('click', () => seek(seg.start, true));
    const text = document.createElement('span');
    text.className = 'text';
    if (seg.words && seg.words.length) {
      seg.words.forEach((w) => text.append(word(w)));
    } else {
      text.textContent = (seg.text || '').trim();
      timed.push({ start: seg.start, end: seg.end, el: li });
    }
    li.append(time, text);
    return li;
  }));
  timed.sort((a, b) => a.start - b.start);
}

function word(w) {
  const span = document.createElement('span');
  span.className = 'word';
  span.dataset.testid = 'word';
  span.dataset.start = w.start;
  span.dataset.end = w.end;
  span.textContent = w.word;
  span.tabIndex = 0;
  span.setAttribute('role', 'button');
  span.title = clock(w.start);
  const go = () => seek(w.start, true);
  span.addEventListener('click', go);
  span.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } });
  timed.push({ start: w.start, end: w.end, el: span });
  return span;
}

// ---- playback ----

function player(id) {
  const audio = $('transcript-audio');
  const src = sourceOf(id);
  audio.pause();
  if (src) audio.src = src; else audio.removeAttribute('src');
  audio.load();
  audio.hidden = !src;
  $('audio-pick').hidden = !!src;
  $('audio-file').value = '';
  $('audio-file').onchange = () => {
    const file = $('audio-file').files[0];
    if (!file) return;
    rememberFile(id, file);
    player(id);
  };
}

function seek(seconds, andPlay) {
  const audio = $('transcript-audio');
  if (audio.hidden) { highlight(seconds); return; }
  audio.currentTime = seconds;
  highlight(seconds);
  if (andPlay) audio.play().catch(() => { /* the user presses play */ });
}

/** Marks the word (or segment) being heard at {@code t}; the last one started when none spans it exactly. */
function highlight(t) {
  let lo = 0;
  let hi = timed.length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (timed[mid].start <= t + 1e-3) { at = mid; lo = mid + 1; } else hi = mid - 1;
  }
  const el = at >= 0 && t < timed[at].end + 0.5 ? timed[at].el : null;
  if (el === current) return;
  if (current) { current.classList.remove('current'); current.removeAttribute('aria-current'); }
  current = el;
  if (el) { el.classList.add('current'); el.setAttribute('aria-current', 'true'); }
}

function tick() {
  const audio = $('transcript-audio');
  highlight(audio.currentTime);
  frame = audio.paused ? 0 : requestAnimationFrame(tick);
}

export function wirePlayer() {
  const audio = $('transcript-audio');
  audio.addEventListener('play', () => { if (!frame) frame = requestAnimationFrame(tick); });
  audio.addEventListener('seeked', () => highlight(audio.currentTime));
  audio.addEventListener('timeupdate', () => highlight(audio.currentTime));
}

// ---- downloads ----

async function download(id, format, label) {
  try {
    const blob = await (await call('GET', '/jobs/' + id + '/result?format=' + format)).blob();
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'job-' + id + '.' + (label === 'verbose_json' ? 'verbose.json' : label);
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } catch (e) { showError(e.message); }
}
