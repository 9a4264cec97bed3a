/**
 * package.json's commands, keybindings, menus and walkthrough: every command is in the palette under "Earshot" with
 * an icon and is registered by the extension; everything the manifest points at exists.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
const contributes = pkg.contributes;
/** Every source file of the extension: activate() in extension.ts, the commands by area in extension/commands/. */
const extensionDir = path.join(REPO_ROOT, 'extension');
const extensionSource = (fs.readdirSync(extensionDir, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts')).sort().map((f) => fs.readFileSync(path.join(extensionDir, f), 'utf8')).join('\n');
const commands: { command: string; title: string; category?: string; icon?: string }[] = contributes.commands;
const ids = new Set(commands.map((c) => c.command));

describe('package.json contributions', () => {
  it('every command has the Earshot category and an icon, and the extension registers it', () => {
    for (const c of commands) {
      assert.equal(c.category, 'Earshot', `${c.command}: category`);
      assert.match(c.icon ?? '', /^\$\([\w-]+\)$/, `${c.command}: icon`);
      assert.ok(extensionSource.includes(`command('${c.command}'`), `${c.command} is registered by the extension (extension/)`);
    }
  });

  it('every command the extension registers is contributed', () => {
    for (const [, id] of extensionSource.matchAll(/command\('(earshot\.[\w.]+)'/g)) assert.ok(ids.has(id), `${id} is not in contributes.commands`);
  });

  it('Earshot runs on the user\'s side first (extensionKind ui, then workspace): in a remote window capture stays local', () => {
    assert.deepEqual(pkg.extensionKind, ['ui', 'workspace']);
  });

  it('keybindings and menus name contributed commands; the toggles have their keys', () => {
    for (const k of contributes.keybindings) assert.ok(ids.has(k.command), `keybinding for ${k.command}`);
    for (const [menu, items] of Object.entries(contributes.menus as Record<string, { command: string }[]>)) {
      for (const item of items) assert.ok(ids.has(item.command), `${menu}: ${item.command}`);
    }
    const keyOf = (command: string) => contributes.keybindings.filter((k: { command: string }) => k.command === command).map((k: { key: string }) => k.key);
    assert.deepEqual([...new Set(keyOf('earshot.toggleMeetingNotes'))], ['ctrl+alt+n']);
    assert.deepEqual([...new Set(keyOf('earshot.toggleDictation'))], ['ctrl+alt+d']);
  });

  it('the walkthrough has its steps, with media that exists and buttons for contributed commands', () => {
    const [walkthrough] = contributes.walkthroughs;
    assert.equal(walkthrough.title, 'Get started with Earshot');
    assert.ok(extensionSource.includes(`WALKTHROUGH_ID = '${walkthrough.id}'`), 'earshot.openWalkthrough opens this walkthrough');
    assert.equal(walkthrough.steps.length, 6);
    const macos = walkthrough.steps.find((s: { id: string }) => s.id === 'macosSystemAudio');
    assert.equal(macos.when, 'isMac', 'how to allow system audio recording shows on macOS only');
    assert.match(macos.description, /System Audio Recording Only[\s\S]*\(command:earshot\.openSystemAudioSettings\)/);
    assert.ok(walkthrough.steps.every((s: { id: string; when?: string }) => s.id === 'macosSystemAudio' || !s.when), 'the other steps show everywhere');
    for (const step of walkthrough.steps) {
      const media = step.media.markdown ?? step.media.svg ?? step.media.image;
      assert.ok(fs.existsSync(path.join(REPO_ROOT, media)), `${step.id}: ${media}`);
      for (const [, id] of (step.description as string).matchAll(/\(command:(earshot\.[\w.]+)/g)) assert.ok(ids.has(id), `${step.id} → ${id}`);
      for (const event of step.completionEvents ?? []) {
        const [kind, arg] = event.split(':');
        if (kind === 'onCommand') assert.ok(ids.has(arg), `${step.id} completes on ${arg}`);
      }
    }
  });
});
