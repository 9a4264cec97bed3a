/**
 * package.json `contributes.configuration` and extension/settings/settings.ts describe the same settings: every
 * declared setting is listed in SETTING_KEYS and read by EarshotSettings (with the same default), and nothing else is.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';
import { vscodeStub } from './vscode-stub';
import { DAEMON_SETTINGS, EarshotSettings, SETTING_KEYS } from '../../extension/settings/settings';

interface Declared {
  type?: string;
  default?: unknown;
  enum?: unknown[];
  enumDescriptions?: string[];
  markdownDescription?: string;
  description?: string;
  order?: number;
}

function declared(): Map<string, Declared> {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const configuration = pkg.contributes.configuration;
  const sections: { properties?: Record<string, Declared> }[] = Array.isArray(configuration) ? configuration : [configuration];
  const all = new Map<string, Declared>();
  for (const section of sections) {
    for (const [key, value] of Object.entries(section.properties ?? {})) {
      assert.ok(!all.has(key), `${key} is declared twice`);
      all.set(key, value);
    }
  }
  return all;
}

/** Reads every setting through EarshotSettings with a configuration that records what is asked and with what default. */
function readAll(): Map<string, unknown> {
  const asked = new Map<string, unknown>();
  const original = vscodeStub.workspace.getConfiguration;
  vscodeStub.workspace.getConfiguration = (section?: string) => ({
    get: (key: string, fallback?: unknown) => {
      asked.set(`${section}.${key}`, fallback);
      return fallback;
    },
  });
  try {
    const settings = EarshotSettings.read();
    for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(EarshotSettings.prototype))) {
      if (descriptor.get) void (settings as unknown as Record<string, unknown>)[name];
    }
    settings.notesDir({ globalStorageUri: { fsPath: '/tmp/earshot-storage' } } as never);
  } finally {
    vscodeStub.workspace.getConfiguration = original;
  }
  return asked;
}

describe('settings manifest', () => {
  const manifest = declared();

  it('SETTING_KEYS lists exactly the declared settings', () => {
    assert.equal(new Set(SETTING_KEYS).size, SETTING_KEYS.length, 'no key listed twice');
    assert.deepEqual([...SETTING_KEYS].sort(), [...manifest.keys()].sort());
  });

  it('EarshotSettings reads every declared setting, and only those, with the declared default', () => {
    const asked = readAll();
    assert.deepEqual([...asked.keys()].sort(), [...manifest.keys()].sort());
    for (const [key, fallback] of asked) assert.deepEqual(fallback, manifest.get(key)?.default, `default of ${key}`);
  });

  it('DAEMON_SETTINGS are declared settings', () => {
    for (const key of DAEMON_SETTINGS) assert.ok(manifest.has(key), `${key} is not declared`);
  });

  it('every setting is documented and ordered; every enum value is described', () => {
    for (const [key, s] of manifest) {
      assert.ok(s.markdownDescription && s.markdownDescription.length > 20, `${key}: markdownDescription`);
      assert.equal(typeof s.order, 'number', `${key}: order`);
      assert.ok(s.type, `${key}: type`);
      assert.ok('default' in s, `${key}: default`);
      if (s.enum) {
        assert.equal(s.enumDescriptions?.length, s.enum.length, `${key}: one enumDescription per value`);
        assert.ok(s.enum.includes(s.default), `${key}: the default is one of the values`);
      }
      // Settings named in descriptions as #earshot.x# exist.
      for (const [, ref] of (s.markdownDescription ?? '').matchAll(/#(earshot\.[\w.]+)#/g)) assert.ok(manifest.has(ref), `${key} links to ${ref}`);
    }
  });

  it('reads values through the typed getters', () => {
    const values: Record<string, unknown> = {
      'model.path': '~/models/ggml-base.en.bin', gpu: 'off', 'retention.days': 30, 'devices.microphone': 'hw:1',
      'dictation.microphone': '', 'dictation.spokenPunctuation': false, 'sources.systemAudio': false, 'enhancement.provider': 'bogus',
    };
    const original = vscodeStub.workspace.getConfiguration;
    vscodeStub.workspace.getConfiguration = () => ({ get: (key: string, fallback?: unknown) => (key in values ? values[key] : fallback) });
    try {
      const s = EarshotSettings.read();
      assert.equal(s.modelPath, path.join(process.env.HOME ?? '', 'models/ggml-base.en.bin'));
      assert.equal(s.gpu, false);
      assert.equal(s.retentionDays, 30);
      assert.deepEqual(s.dictation, { showPartial: true, spokenPunctuation: false, microphone: 'hw:1' });
      assert.deepEqual(s.meetingSources, ['mic']);
      assert.equal(s.enhancement.provider, 'off');
      values['dictation.microphone'] = 'usb-headset';
      values['retention.days'] = -3;
      assert.equal(EarshotSettings.read().dictation.microphone, 'usb-headset');
      assert.equal(EarshotSettings.read().retentionDays, 0);
      // The part of the meeting a model reads at once: the default, a chosen size, and a hand-edited one out of range
      // (the daemon's default then, rather than a daemon that refuses its settings).
      values['enhancement.provider'] = 'local';
      assert.equal(EarshotSettings.read().enhancement.chunkChars, 6000);
      values['enhancement.chunkCharacters'] = 2500.4;
      assert.equal(EarshotSettings.read().enhancement.chunkChars, 2500);
      values['enhancement.chunkCharacters'] = 500;
      assert.equal(EarshotSettings.read().enhancement.chunkChars, undefined);
    } finally {
      vscodeStub.workspace.getConfiguration = original;
    }
  });
});
