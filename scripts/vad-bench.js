#!/usr/bin/env node
/**
 * Rebuilds the voice-detection recordings that cannot be committed (test/fixtures/real-audio/README.md, "Not
 * committed"): each folder holds a vad-sets.json and one folder per set with 16 kHz mono WAVs and a reference.rttm.
 *
 *   node scripts/vad-bench.js [FOLDER...]     default: every folder below, into .bench/
 *
 * Sources are read from git at the pinned commits: from $VAD_BENCH_GIT/<owner>+<name>/repo when that holds them,
 * else a clone into .bench/src/. Needs git and sox, and ffmpeg for vad-dev4 (MSDWild's sound track is in an mp4).
 * Conversions use `sox -R` so that two rebuilds are byte-equal.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const BENCH = path.join(ROOT, '.bench');

/** A git directory holding `repo` (owner/name) with `commit` in it. */
function gitDir(repo, commit) {
  const candidates = [process.env.VAD_BENCH_GIT && path.join(process.env.VAD_BENCH_GIT, repo.replace('/', '+'), 'repo'), path.join(BENCH, 'src', repo.replace('/', '+'))].filter(Boolean);
  for (const dir of candidates) {
    try { execFileSync('git', ['-C', dir, 'cat-file', '-e', `${commit}^{commit}`], { stdio: 'ignore' }); return dir; } catch { /* next */ }
  }
  const dir = candidates[candidates.length - 1];
  fs.rmSync(dir, { recursive: true, force: true });
  execFileSync('git', ['clone', '--bare', '--filter=blob:none', `https://github.com/${repo}.git`, dir], { stdio: 'inherit' });
  return dir;
}

const show = (repo, commit, file) => execFileSync('git', ['-C', gitDir(repo, commit), 'show', `${commit}:${file}`], { maxBuffer: 1 << 28 });

/** Writes `file` from the repository, converted to 16 kHz mono 16-bit by sox (deterministic, no dither). */
function wav(repo, commit, file, out, effects = []) {
  const tmp = `${out}.src${path.extname(file)}`;
  fs.writeFileSync(tmp, show(repo, commit, file));
  execFileSync('sox', ['-R', '-D', tmp, '-r', '16000', '-c', '1', '-b', '16', out, ...effects]);
  fs.rmSync(tmp);
}

/** The file as it is (already 16 kHz mono). */
function copy(repo, commit, file, out) { fs.writeFileSync(out, show(repo, commit, file)); }

/** A sound track sox cannot read (an mp4's, an mp3) as `wav` writes it: ffmpeg decodes its audio, sox converts. */
function decoded(repo, commit, file, out) {
  const src = `${out}.src${path.extname(file)}`, track = `${out}.track.wav`;
  fs.writeFileSync(src, show(repo, commit, file));
  execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-i', src, '-vn', '-c:a', 'pcm_s16le', '-fflags', '+bitexact', track]);
  execFileSync('sox', ['-R', '-D', track, '-r', '16000', '-c', '1', '-b', '16', out]);
  fs.rmSync(src); fs.rmSync(track);
}

const rttmLine = (name, start, end, speaker) => `SPEAKER ${name} 1 ${start.toFixed(3)} ${(end - start).toFixed(3)} <NA> <NA> ${speaker} <NA> <NA>`;

/** Spans closer than `gap` seconds merged (words into speech segments). */
function merge(spans, gap) {
  const out = [];
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    const last = out[out.length - 1];
    if (last && s.start - last.end < gap) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

/** Intervals of a Praat TextGrid tier with non-empty text. */
function textGridIntervals(text, tier) {
  const at = text.indexOf(`name = "${tier}"`);
  if (at < 0) throw new Error(`no tier ${tier}`);
  const next = text.indexOf('item [', at);
  const body = text.slice(at, next < 0 ? undefined : next);
  const out = [];
  for (const m of body.matchAll(/xmin = ([\d.]+)\s*\n\s*xmax = ([\d.]+)\s*\n\s*text = "([^"]*)"/g)) {
    if (m[3].trim()) out.push({ start: Number(m[1]), end: Number(m[2]) });
  }
  return out;
}

/** An AMI-diarization-setup RTTM cut to [from, to) and shifted to 0. */
function amiCut(rttm, meeting, name, from, to) {
  const lines = [];
  for (const line of rttm.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== 'SPEAKER' || f[1] !== meeting) continue;
    const start = Math.max(Number(f[3]), from), end = Math.min(Number(f[3]) + Number(f[4]), to);
    if (end > start) lines.push(rttmLine(name, start - from, end - from, f[7]));
  }
  return lines;
}

function writeFolder(dir, sets) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'vad-sets.json'), `${JSON.stringify({ sets: sets.map((s) => s.meta) }, null, 2)}\n`);
  for (const s of sets) {
    const sub = path.join(dir, s.meta.folder);
    fs.rmSync(sub, { recursive: true, force: true });
    fs.mkdirSync(sub, { recursive: true });
    const rttm = s.build(sub);
    fs.writeFileSync(path.join(sub, 'reference.rttm'), `${rttm.join('\n')}\n`);
  }
}

const PYANNOTE = ['pyannote/pyannote-audio', 'b749285c'];
const AMI_SETUP = ['BUTSpeechFIT/AMI-diarization-setup', '2509d8933721023fab4def2618aabd5c28eb82e9'];

/** pyannote-audio's phone-call sample (the corpus is not stated: never committed). */
const PYANNOTE_SAMPLE = {
  meta: { folder: 'pyannote-sample', source: 'pyannote-audio src/pyannote/audio/sample/sample.wav @b749285c (two speakers, 30 s)', kind: 'call', licence: 'pyannote-audio MIT; the corpus is not stated: not committed', reference: 'human (as shipped): sample.rttm' },
  build: (dir) => {
    copy(...PYANNOTE, 'src/pyannote/audio/sample/sample.wav', path.join(dir, 'sample.wav'));
    return show(...PYANNOTE, 'src/pyannote/audio/sample/sample.rttm').toString().trim().split('\n');
  },
};

const FOLDERS = {
  /** Section 11: VoxConverse aepyx (the phone-call sample is in diar-dev since section 12; MSDWild not rebuilt). */
  'vad-dev': [{
    meta: { folder: 'voxconverse-aepyx', source: 'VoxConverse aepyx, the 8 kHz copy in snakers4/silero-vad examples/c++/aepyx_8k.wav @806dcba3', kind: 'meeting', licence: 'VoxConverse CC BY 4.0 (research); the videos\' copyright stays with their owners: not committed', reference: 'human-checked: VoxConverse v0.3 test/aepyx.rttm (joonson/voxconverse @24bf60be)' },
    build: (dir) => {
      wav('snakers4/silero-vad', '806dcba3', 'examples/c++/aepyx_8k.wav', path.join(dir, 'aepyx.wav'));
      return show('joonson/voxconverse', '24bf60be', 'test/aepyx.rttm').toString().trim().split('\n');
    },
  }],
  /** Section 11b: emuR's "ae" sentences and pyAudioAnalysis's counting (SPPAS not rebuilt). */
  'vad-new2': [{
    meta: { folder: 'emur-ae', source: 'emuR "ae" demo database (IPS-LMU/emuR @400407d7, inst/extdata/rawDemoData), 7 sentences, one male Australian English speaker, 20 kHz resampled', kind: 'dictation', licence: 'GPL (>= 2): not committed', reference: 'human: the hand-labelled Word tier, words closer than 0.3 s merged' },
    build: (dir) => ['msajc003', 'msajc010', 'msajc012', 'msajc015', 'msajc022', 'msajc023', 'msajc057'].flatMap((name) => {
      wav('IPS-LMU/emuR', '400407d7', `inst/extdata/rawDemoData/wavFiles/${name}.wav`, path.join(dir, `${name}.wav`));
      const grid = show('IPS-LMU/emuR', '400407d7', `inst/extdata/rawDemoData/annotationFiles/${name}.TextGrid`).toString();
      return merge(textGridIntervals(grid, 'Word'), 0.3).map((s) => rttmLine(name, s.start, s.end, 'msajc'));
    }),
  }, {
    meta: { folder: 'pyaa-count', source: 'pyAudioAnalysis data/count.wav and count2.wav (tyiannak/pyAudioAnalysis @ae00ebd4)', kind: 'dictation', licence: 'Apache-2.0', reference: 'human: the .segments speech/silence labels (0.05-0.1 s resolution)' },
    build: (dir) => ['count', 'count2'].flatMap((name) => {
      wav('tyiannak/pyAudioAnalysis', 'ae00ebd4', `pyAudioAnalysis/data/${name}.wav`, path.join(dir, `${name}.wav`));
      const segs = show('tyiannak/pyAudioAnalysis', 'ae00ebd4', `pyAudioAnalysis/data/${name}.segments`).toString();
      return segs.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f[2] === 'speech').map((f) => rttmLine(name, Number(f[0]), Number(f[1]), name));
    }),
  }],
  /** Issue 42's held-out recordings, read in sections 12 and 12b: development since section 12c. */
  'diar-dev': [{
    meta: { folder: 'ami-more', source: 'AMI Meeting Corpus, five 30 s excerpts from pyannote-audio tests/data @b749285c (trn07, trn08, trn09, tst00, tst01)', kind: 'meeting', speakerIds: 'AMI', licence: 'AMI Meeting Corpus CC BY 4.0; pyannote-audio MIT', reference: 'human: AMI manual annotation speaker turns as pyannote-audio ships them (tests/data/debug.train.rttm, debug.test.rttm)' },
    build: (dir) => {
      const names = ['trn07', 'trn08', 'trn09', 'tst00', 'tst01'];
      for (const n of names) copy(...PYANNOTE, `tests/data/${n}.wav`, path.join(dir, `${n}.wav`));
      const rttm = ['debug.train.rttm', 'debug.test.rttm'].map((f) => show(...PYANNOTE, `tests/data/${f}`).toString()).join('\n');
      return rttm.split('\n').filter((l) => names.includes(l.trim().split(/\s+/)[1]));
    },
  }, PYANNOTE_SAMPLE],
  /** Issue 57: speakers taking turns, a second held-out set for the speaker eval (read once, 2026-11-28). */
  'diar-more': [{
    meta: { folder: 'pyaa-diarization', source: 'pyAudioAnalysis data/diarizationExample.wav and diarizationExample2.wav (tyiannak/pyAudioAnalysis @ae00ebd4): speakers one after another, 42 s and 22 s', kind: 'meeting', licence: 'pyAudioAnalysis Apache-2.0; the recordings\' origin is not stated: not committed', reference: 'as shipped: the .segments speaker labels (contiguous, 0.1 s resolution)' },
    build: (dir) => ['diarizationExample', 'diarizationExample2'].flatMap((name) => {
      wav('tyiannak/pyAudioAnalysis', 'ae00ebd4', `pyAudioAnalysis/data/${name}.wav`, path.join(dir, `${name}.wav`));
      const segs = show('tyiannak/pyAudioAnalysis', 'ae00ebd4', `pyAudioAnalysis/data/${name}.segments`).toString();
      return segs.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 3).map((f) => rttmLine(name, Number(f[0]), Number(f[1]), f[2]));
    }),
  }],
  /** The call alone, for evals whose AMI excerpts are committed (test/fixtures/real-audio/vad-more, section 12c). */
  'vad-call': [PYANNOTE_SAMPLE],
  /** Section 12c: new development recordings. */
  'vad-dev3': [{
    meta: { folder: 'ami-en2002a', source: 'AMI meeting EN2002a, its first 30 s, as BUTSpeechFIT/DiariZen ships it (example/EN2002a_30s.wav @a60b1815)', kind: 'meeting', speakerIds: 'AMI', licence: 'AMI Meeting Corpus CC BY 4.0; DiariZen MIT; reference from BUTSpeechFIT/AMI-diarization-setup, Apache-2.0', reference: 'human: AMI manual word annotation v1.6.2 as speaker turns (AMI-diarization-setup only_words/rttms/test/EN2002a.rttm @2509d893), cut to 0-30 s' },
    build: (dir) => {
      wav('BUTSpeechFIT/DiariZen', 'a60b18151dbbe246e4199d8ef5cd2ece3872ea94', 'example/EN2002a_30s.wav', path.join(dir, 'EN2002a_30s.wav'));
      return amiCut(show(...AMI_SETUP, 'only_words/rttms/test/EN2002a.rttm').toString(), 'EN2002a', 'EN2002a_30s', 0, 30);
    },
  }],
};

const NEW_FAVE = ['Forced-Alignment-and-Vowel-Extraction/new-fave', 'ec6d83ae2bff99862a1dad7eda1f113eb48ad7d5'];

/** Intervals with text of every tier whose name ends with `suffix`, per tier name. */
function textGridTiers(text, suffix) {
  const names = [...text.matchAll(/name = "([^"]*)"/g)].map((m) => m[1]).filter((n) => n.endsWith(suffix));
  return names.map((name) => ({ name, spans: textGridIntervals(text, name) }));
}

/** Issue 60: recordings for choosing (development) and one that chose nothing (held out), none committable. */
Object.assign(FOLDERS, {
  /** MSDWild 00001 (section 11's development recording), rebuilt: a wild conversation, three speakers. */
  'vad-dev4': [{
    meta: { folder: 'msdwild-00001', source: 'MSDWild 00001, the sound track of visualization/RELEASED_dark_labels/00001.mp4 (X-LANCE/MSDWILD @b9f97946)', kind: 'meeting', licence: 'MSDWild: research use only, no redistribution: not committed', reference: 'human: visualization/rttm_per_file/00001.rttm' },
    build: (dir) => {
      decoded('X-LANCE/MSDWILD', 'b9f97946f7001e86f643d893811fbded918407bc', 'visualization/RELEASED_dark_labels/00001.mp4', path.join(dir, '00001.wav'));
      return show('X-LANCE/MSDWILD', 'b9f97946f7001e86f643d893811fbded918407bc', 'visualization/rttm_per_file/00001.rttm').toString().trim().split('\n');
    },
  }],
  /** Held out for issue 60: read once, after the choice. */
  'vad-held4': [{
    meta: { folder: 'fave-ky25a', source: 'a dialect interview, speaker KY25A and the interviewer (IVR), 27 s, from new-fave tests/test_data/corpus/KY25A_1.wav (Forced-Alignment-and-Vowel-Extraction/new-fave @ec6d83ae; the recording\'s origin is not stated there)', kind: 'meeting', licence: 'new-fave GPL-3.0; the recording\'s own terms are not stated: not committed', reference: 'forced alignment of the human transcript (KY25A_1.TextGrid, the "KY25A - words" and "IVR - words" tiers), words closer than 0.3 s merged into one turn per speaker' },
    build: (dir) => {
      copy(...NEW_FAVE, 'tests/test_data/corpus/KY25A_1.wav', path.join(dir, 'KY25A_1.wav'));
      const grid = show(...NEW_FAVE, 'tests/test_data/corpus/KY25A_1.TextGrid').toString();
      return textGridTiers(grid, ' - words').flatMap((t) => merge(t.spans, 0.3).map((s) => rttmLine('KY25A_1', s.start, s.end, t.name.replace(' - words', ''))));
    },
  }],
});

const PYBK = ['josepatino/pyBK', '09c34a597036615415348eb0a6f249d0b146072e'];
const BATCHALIGN = ['TalkBank/batchalign3', '4a7f1b39e7fdcdf394fabac1a7c8b59784453457'];

/** The timed utterances of a CHAT transcript (`*SPK: … ␕start_end␕`, milliseconds) as RTTM lines. */
function chatTurns(text, name) {
  return [...text.matchAll(/^\*([A-Z0-9]+):[^\n]*?\u0015(\d+)_(\d+)\u0015/gm)].map((m) => rttmLine(name, Number(m[2]) / 1000, Number(m[3]) / 1000, m[1]));
}

/** Issue 60, a second held-out folder (found 2026-11-28): real conversation nothing was chosen on; read once. */
Object.assign(FOLDERS, {
  'vad-held5': [{
    meta: { folder: 'saivt-bnews', source: 'two SAIVT-BNEWS broadcast-news clips (102 s, 9 speakers; 47 s, 2 speakers) as pyBK ships them (josepatino/pyBK audio/3054300.wav, audio/3055877.wav @09c34a59)', kind: 'meeting', licence: 'pyBK MIT; the audio "all rights reserved to their respective owners" (its README): not committed', reference: 'the corpus references as pyBK ships them: eval-tools/reference.rttm (speaker turns)' },
    build: (dir) => {
      const names = ['3054300', '3055877'];
      for (const n of names) wav(...PYBK, `audio/${n}.wav`, path.join(dir, `${n}.wav`));
      return show(...PYBK, 'eval-tools/reference.rttm').toString().trim().split('\n').filter((l) => names.includes(l.trim().split(/\s+/)[1]));
    },
  }, {
    meta: { folder: 'talkbank-clips', source: 'a CHILDES family at play (father, mother, child; 18 s) and an AphasiaBank interview in Japanese (investigator, participant; 21 s), TalkBank/batchalign3 batchalign/tests/support/eng_multi_speaker.mp3 and jpn_tyo_clip.mp3 @4a7f1b39', kind: 'meeting', licence: 'TalkBank media CC BY-NC-SA (batchalign3 tests/support/PROVENANCE.md); batchalign3 BSD-3-Clause: not committed', reference: 'human: the CHAT transcripts\' utterance time marks (tests/support/parity/eng_multi_speaker.cha, jpn_tyo_timed.cha)' },
    build: (dir) => [['eng_multi_speaker', 'eng_multi_speaker.cha'], ['jpn_tyo_clip', 'jpn_tyo_timed.cha']].flatMap(([name, cha]) => {
      decoded(...BATCHALIGN, `batchalign/tests/support/${name}.mp3`, path.join(dir, `${name}.wav`));
      return chatTurns(show(...BATCHALIGN, `batchalign/tests/support/parity/${cha}`).toString(), name);
    }),
  }],
});

function main() {
  const wanted = process.argv.slice(2);
  for (const name of wanted.length ? wanted : Object.keys(FOLDERS)) {
    if (!FOLDERS[name]) throw new Error(`unknown folder ${name}; known: ${Object.keys(FOLDERS).join(', ')}`);
    writeFolder(path.join(BENCH, name), FOLDERS[name]);
    console.log(`${path.join('.bench', name)}: ${FOLDERS[name].map((s) => s.meta.folder).join(', ')}`);
  }
}

main();
