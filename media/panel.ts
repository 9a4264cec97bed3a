/**
 * The side panel's webview script. It renders what the extension posts (protocol/panel.ts) and nothing else. Every
 * piece of transcript text is set through textContent or text nodes, never as HTML; highlights and code links are
 * elements made with DOM APIs around those text nodes (media/textRuns.ts).
 *
 * The transcript is a virtual list (media/virtualList.ts): every line is kept as data, only the rows in and near the
 * viewport are in the DOM (at most 100), with two spacers standing in for the rest. Filtering works on the data.
 *
 * DOM hooks for tests (stable; the static skeleton is in extension/panel/panel.ts `html()`):
 *   Session    #state (text "Listening — <title>", "Done — <title>", "Dictating — …", "Paused — …"); body[data-state],
 *              body[data-mode] ('meeting' | 'dictation'), body[data-paused] ('true' when every live source is paused),
 *              body[data-error], body[data-has-notes] ('false': no notes file, the Reveal buttons are hidden);
 *              #elapsed; #error (role=alert, the session's error); #notice (role=status, after an action)
 *   Place      #place (.place-text "Listening on this computer (<host>)…"; .place-warning[role=alert] and
 *              #place[data-warning=true] when Earshot runs on a remote machine, whose audio is not your microphone)
 *   Toolbar    #start, #dictate, #file, #pause, #stop: button[data-command] (the PanelCommand it sends). #pause's
 *              data-command is 'pause' or 'resume' and its aria-pressed is 'true' while paused.
 *   Sources    #sources > .source[data-source=mic|system][data-state=<CaptureState>][data-paused]; inside: .name,
 *              .level[role=meter] (aria-valuenow in dBFS), .capture (state text), button.source-toggle[role=switch]
 *              [data-source][aria-checked] (checked = recording; click pauses/resumes that source), and when it failed
 *              .source-problem with button[data-recovery=retry][data-source] and button[data-command=chooseMicrophone |
 *              chooseSystemAudioSource]
 *   Model      #model[data-state=ready|loading|downloading|verifying|error|unknown]; #model-label (text);
 *              #model-progress[role=progressbar] (aria-valuenow 0–100, absent = indeterminate; class .indeterminate);
 *              #model-download (button[data-command=downloadModel], shown when the model is missing or failed)
 *   Transcript #transcript-scroller (focusable, End = jump to live, Home = first line); #transcript (the <ol>);
 *              rows li.line[data-segment-id][data-index][data-speaker][data-source][data-final]; a partial row has
 *              class .partial (aria-busy=true), a final row .final; inside a row: .time, .speaker, .text; the speaker
 *              of a final whose voice the speaker stage told apart is button.speaker.rename (click: rename that
 *              voice), one still waiting for it .speaker.pending;
 *              code links button.mention[data-mention-index] inside .text; button.viewing-link ("while viewing
 *              src/a.ts:40–52"); search matches mark.match; #spacer-top / #spacer-bottom (the virtual list's spacers);
 *              #empty (no lines / no matches); #jump-live (shown while scrolled up; data-unseen = new lines since)
 *   Filter     #search (type=search; Ctrl/Cmd+F or "/" focuses it, Escape clears it), #speaker-filter (<select>,
 *              value '' = all), #filter-count
 *   Notes      tabs button[role=tab][data-tab=actionItems|decisions|openQuestions|summary] (#tab-<name>), panels
 *              #panel-<name>; lists #action-items, #decisions, #open-questions (ul.items[data-list]); entries
 *              li.item[data-list][data-id] (.done and data-done='true' when ticked) with .item-text, .item-meta and
 *              button.item-action[data-action=insert|copy|reveal|toggleDone|todo] (toggleDone is the role=checkbox
 *              button.check, action items only); #summary, #summary-title
 *   Notes bar  p.panel-note[data-note=<PanelNote>], each with button[data-dismiss-hint]: #rules-hint (the notes come
 *              from the rules alone) with button[data-command=chooseLanguageModel]; #macos-audio-note (macOS: allow VS
 *              Code to record system audio) with button[data-command=openSystemAudioSettings]
 *   Auto-stop  #auto-stop[data-state=watching|silent|countdown|cancelled|stopped|none] (a meeting started for a call):
 *              .auto-stop-text ("Stopping in 12 s — the call ended" while counting down, else small text) and
 *              #auto-stop-cancel (button[data-command=cancelAutoStop], shown while counting down)
 *   Speakers   #speakers-note (p.panel-note, shown while a session links voices by overlap only: its message) with
 *              #speakers-download (button[data-command=downloadSpeakerModel])
 *   Screen readers: #announcer (aria-live polite) gets "<speaker>: <text>" for each new final line, never partials.

/*
 * This file is the entry (out/webview/media/panel.js, loaded as an ES module; its imports load from beside it): it
 * routes each message of the extension to the view it is for, wires the skeleton's command buttons, and starts the
 * panel. The views, in media/panel/, each own their part of the page:
 *   messages.ts          the message layer: post() to the extension, receive() of its messages (the table below)
 *   session.ts           #state, #elapsed, the toolbar, #error, body[data-*]
 *   sources.ts           #sources: rows, level meters, pause switches, capture problems
 *   notices.ts           #notice, #extraction, the panel notes (p.panel-note)
 *   autoStop.ts          #auto-stop: a call's meeting stopping by itself, its countdown and Cancel
 *   model.ts             #model
 *   place.ts             #place: which machine listens
 *   transcript.ts        the transcript's lines (add, replace, remove, clear) and #announcer
 *   transcriptState.ts   the transcript's data: lines, the filtered view, the row layout, following the live end
 *   transcriptList.ts    the virtual list: rows in the DOM, spacers, scrolling, #jump-live, #empty, #filter-count
 *   transcriptRow.ts     one line's row
 *   transcriptFilter.ts  #search, #speaker-filter
 *   items.ts             the notes lists (action items, decisions, open questions) and the summary
 *   itemRows.ts          one notes entry's row
 *   entries.ts           what a row shows of an entry: meta line, badges, a decision's standing group (pure)
 *   tabs.ts              the notes' tabs
 *   dom.ts               shared helpers: byId, el, iconButton, setLabel, clock
 */
import { isIconName, setIcon } from './icons.js';
import { renderList, setItems, showSummary, updateActionItem, updateDecision } from './panel/items.js';
import { showAutoStop } from './panel/autoStop.js';
import { post, receive } from './panel/messages.js';
import { showModel } from './panel/model.js';
import { showExtraction, showModelOffer, showNotes, showNotice } from './panel/notices.js';
import { showPlace } from './panel/place.js';
import { showSession, updateControls } from './panel/session.js';
import { clearSourceRows, setSources } from './panel/sources.js';
import { selectFirstTab } from './panel/tabs.js';
import { clearTranscript, upsertSegment } from './panel/transcript.js';
import { applyFilter } from './panel/transcriptFilter.js';
import { render } from './panel/transcriptList.js';

receive({
  snapshot: (message) => {
    clearTranscript();
    setSources(message.sources);
    clearSourceRows();
    showSession(message.session);
    for (const s of message.segments) upsertSegment(s, false);
    setItems(message.actionItems, message.decisions);
    showSummary(message.summary);
    showModel(message.model);
    showNotes(message.notes);
    showModelOffer(message.modelOffer);
    showPlace(message.place);
    showExtraction(message.extraction ?? null);
    showAutoStop(message.autoStop ?? null);
    applyFilter();
  },
  session: (message) => showSession(message.session),
  summary: (message) => showSummary(message.summary),
  sources: (message) => {
    setSources(message.sources);
    updateControls(); // the pause button and state label depend on the sources too
  },
  segment: (message) => upsertSegment(message.segment, true),
  actionItem: (message) => updateActionItem(message.item),
  decision: (message) => updateDecision(message.decision),
  model: (message) => showModel(message.model),
  notice: (message) => showNotice(message.text, message.level),
  extraction: (message) => showExtraction(message.progress),
  notes: (message) => showNotes(message.notes),
  modelOffer: (message) => showModelOffer(message.offer),
  place: (message) => showPlace(message.place),
  autoStop: (message) => showAutoStop(message.autoStop),
});

// Icons for the static buttons (data-icon), then their commands.
for (const node of document.querySelectorAll<HTMLElement>('[data-icon]')) {
  if (isIconName(node.dataset.icon)) setIcon(node, node.dataset.icon);
}
for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-command]')) {
  button.addEventListener('click', () => post({ type: 'command', command: button.dataset.command as never }));
}

showSession(null);
renderList('actionItems');
renderList('decisions');
showSummary(null);
selectFirstTab();
render();
post({ type: 'ready' });
