/**
 * When the panel shows its dismissible notes (extension/panel/panelNotes.ts): the macOS step to allow system audio
 * recording shows only where Earshot records through a Core Audio tap, and not once it is done with.
 */
import * as assert from 'node:assert/strict';
import { NOTE_DONE_KEYS, NoteContext, notesToShow } from '../../extension/panel/panelNotes';

const mac: NoteContext = { platform: 'darwin', release: '24.1.0', enhancementProvider: 'vscode-lm', systemAudio: true, systemDevice: '' };
const none = () => false;

describe('panel notes', () => {
  it('macOS 14.2+: how to allow VS Code to record system audio, before the first meeting', () => {
    assert.deepEqual(notesToShow(mac, none), ['macosAudio']);
    assert.deepEqual(notesToShow({ ...mac, release: '23.2.0' }, none), ['macosAudio'], 'macOS 14.2');
    assert.deepEqual(notesToShow({ ...mac, systemDevice: 'app:zoom.us' }, none), ['macosAudio'], 'one app through the tap');
    assert.deepEqual(notesToShow({ ...mac, systemDevice: 'default' }, none), ['macosAudio']);
  });

  it('not where the tap is not used: other systems, macOS before 14.2, a loopback device, no system audio', () => {
    for (const platform of ['linux', 'win32'] as NodeJS.Platform[]) assert.deepEqual(notesToShow({ ...mac, platform, release: '6.1.0' }, none), [], platform);
    assert.deepEqual(notesToShow({ ...mac, release: '23.1.0' }, none), [], 'macOS 14.1: BlackHole, which needs the microphone permission instead');
    assert.deepEqual(notesToShow({ ...mac, systemDevice: 'BlackHole 2ch' }, none), []);
    assert.deepEqual(notesToShow({ ...mac, systemAudio: false }, none), []);
  });

  it('not once dismissed (or system audio came through); the rules-alone note as before', () => {
    assert.deepEqual(notesToShow(mac, (note) => note === 'macosAudio'), []);
    assert.deepEqual(notesToShow({ ...mac, enhancementProvider: 'off' }, none), ['rules', 'macosAudio']);
    assert.deepEqual(notesToShow({ ...mac, enhancementProvider: 'off', platform: 'linux' }, (note) => note === 'rules'), []);
    assert.equal(NOTE_DONE_KEYS.rules, 'earshot.rulesHintDismissed', 'a dismissal from an earlier version still holds');
  });
});
