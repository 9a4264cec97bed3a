/**
 * Earshot: Connect a Coding Agent (MCP)…: the shells' quoting (POSIX lines run through a real sh and read back), and
 * what each target of the pick copies, says and changes (a fake UI; the command itself is mcpServerCommand's).
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { claudeCommandLine, connectCodingAgent, ConnectAgentUi, mcpClientJson } from '../../extension/memory/connectAgent';
import { McpLaunch, mcpServerCommand } from '../../extension/memory/mcpCommand';
import { commandLine, quoteArg, shellFor, UnquotableError } from '../../extension/memory/shellQuote';

const HARD = ['/Users/Zoë Ñ/Library/Application Support/Code/User/globalStorage/earshot.earshot', 'it\'s', 'a "quoted" $HOME `x` \\ !', '', '--', '-e', 'naïve 日本語 😀', 'line\nbreak', '*?[a]~', 'A=B C'];

/** The words a POSIX shell makes of `line` (sh runs node, which prints its argv). */
function posixWords(line: string): string[] {
  const out = execFileSync('sh', ['-c', `${JSON.stringify(process.execPath)} -e 'process.stdout.write(JSON.stringify(process.argv.slice(1)))' -- ${line}`], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/nowhere' } });
  return JSON.parse(out) as string[];
}

const launch = (over: Partial<McpLaunch> = {}): McpLaunch => ({
  cli: 'C:\\Users\\Zoë Ñ\\.vscode\\extensions\\earshot.earshot-0.1.0\\bin\\earshot.js', storageDir: 'C:\\Users\\Zoë Ñ\\AppData\\Roaming\\Code\\User\\globalStorage\\earshot.earshot',
  version: '0.1.0', execPath: 'C:\\Users\\Zoë Ñ\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe', owners: () => ['Zoë O\'Neil', 'zo'], cacheDir: () => undefined, ...over,
});

class FakeUi implements ConnectAgentUi {
  copied: string[] = [];
  messages: string[] = [];
  warnings: string[] = [];
  offered: string[][] = [];
  setting = false;
  vscodeHasMcp = true;
  constructor(public choice: string | undefined, public button?: string) {}
  pick = async (items: Parameters<ConnectAgentUi['pick']>[0]) => {
    assert.deepEqual(items.map((i) => i.target), ['claude', 'json', 'vscode']);
    return items.find((i) => i.target === this.choice)?.target;
  };
  copy = async (text: string) => { this.copied.push(text); };
  info = async (message: string, ...buttons: string[]) => { this.messages.push(message); this.offered.push(buttons); return buttons.includes(this.button!) ? this.button : undefined; };
  warn = async (message: string) => { this.warnings.push(message); };
  mcpServerSetting = { get: () => this.setting, set: async (on: boolean) => { this.setting = on; } };
}

describe('Connect a Coding Agent (MCP)', () => {
  describe('quoting for the user\'s shell', () => {
    it('POSIX sh gives back every argument exactly: spaces, quotes, $, backquotes, globs, non-ASCII, empty, line breaks', () => {
      assert.deepEqual(posixWords(commandLine(HARD, 'posix')), HARD);
      assert.equal(quoteArg('it\'s', 'posix'), `'it'\\''s'`);
      assert.equal(quoteArg('/usr/bin/node', 'posix'), '/usr/bin/node', 'a plain word stays bare');
    });

    it('PowerShell: single quotes, the quote and its curly forms doubled, dash words quoted; a " or an empty argument refused', () => {
      assert.equal(quoteArg('C:\\Program Files\\Code.exe', 'powershell'), `'C:\\Program Files\\Code.exe'`);
      assert.equal(quoteArg('Zoë O\'Neil', 'powershell'), `'Zoë O''Neil'`);
      assert.equal(quoteArg('it\u2019s $env:HOME `n', 'powershell'), `'it\u2019\u2019s $env:HOME \`n'`);
      assert.equal(quoteArg('--', 'powershell'), `'--'`);
      assert.equal(quoteArg('-e', 'powershell'), `'-e'`);
      assert.equal(quoteArg('ELECTRON_RUN_AS_NODE=1', 'powershell'), 'ELECTRON_RUN_AS_NODE=1');
      assert.throws(() => quoteArg('a "b"', 'powershell'), UnquotableError);
      assert.throws(() => quoteArg('', 'powershell'), UnquotableError);
      assert.throws(() => quoteArg('C:\\a b\\', 'powershell'), UnquotableError);
      assert.throws(() => quoteArg('a\nb', 'powershell'), UnquotableError);
    });

    it('cmd.exe: double quotes, a final backslash doubled; " and % refused', () => {
      assert.equal(quoteArg('C:\\Program Files\\Code.exe', 'cmd'), '"C:\\Program Files\\Code.exe"');
      assert.equal(quoteArg('Zoë & co (x)', 'cmd'), '"Zoë & co (x)"');
      assert.equal(quoteArg('C:\\a b\\', 'cmd'), '"C:\\a b\\\\"');
      assert.equal(quoteArg('--', 'cmd'), '--');
      assert.throws(() => quoteArg('50%', 'cmd'), UnquotableError);
      assert.throws(() => quoteArg('a "b"', 'cmd'), UnquotableError);
    });

    it('the shell is POSIX off Windows; on Windows the default terminal\'s, PowerShell when unknown', () => {
      assert.equal(shellFor('darwin', '/bin/zsh'), 'posix');
      assert.equal(shellFor('linux', undefined), 'posix');
      assert.equal(shellFor('win32', 'C:\\Windows\\System32\\cmd.exe'), 'cmd');
      assert.equal(shellFor('win32', 'C:\\Program Files\\PowerShell\\7\\pwsh.exe'), 'powershell');
      assert.equal(shellFor('win32', 'C:\\Program Files\\Git\\bin\\bash.exe'), 'posix');
      assert.equal(shellFor('win32', undefined), 'powershell');
    });
  });

  describe('what each target copies', () => {
    it('Claude Code: claude mcp add earshot --scope user -e K=V … -- <command> <args>, read back by sh as the server\'s command', () => {
      const l = launch({ execPath: '/Applications/Visual Studio Code.app/Contents/MacOS/Electron', cli: '/Users/Zoë/.vscode/extensions/earshot.earshot-0.1.0/bin/earshot.js', storageDir: '/Users/Zoë/Library/Application Support/Code/User/globalStorage/earshot.earshot' });
      const line = claudeCommandLine(l, 'posix');
      assert.match(line, /^claude mcp add earshot --scope user -e /);
      const words = posixWords(line.slice('claude '.length));
      const { command, args, env } = mcpServerCommand(l);
      const dashes = words.indexOf('--');
      assert.deepEqual(words.slice(dashes + 1), [command, ...args]);
      assert.deepEqual(words.slice(0, 5), ['mcp', 'add', 'earshot', '--scope', 'user']);
      assert.deepEqual(words.slice(5, dashes), Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]));
      assert.ok(args.includes('--me') && args.includes('Zoë O\'Neil'));
    });

    it('Claude Code on Windows: PowerShell and cmd lines with the exe path quoted', () => {
      const ps = claudeCommandLine(launch(), 'powershell');
      assert.ok(ps.startsWith('claude mcp add earshot \'--scope\' user \'-e\' ELECTRON_RUN_AS_NODE=1 '), ps);
      assert.ok(ps.includes(` '--' 'C:\\Users\\Zoë Ñ\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe' '--max-semi-space-size=2' `), ps);
      assert.ok(ps.endsWith(`mcp '--me' 'Zoë O''Neil' '--me' zo`), ps);
      const cmd = claudeCommandLine(launch(), 'cmd');
      assert.ok(cmd.includes(' -- "C:\\Users\\Zoë Ñ\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe" --max-semi-space-size=2 '), cmd);
    });

    it('copies the Claude Code line and says what leaves (the agent\'s model) and that an update needs a new copy', async () => {
      const ui = new FakeUi('claude');
      const copied = await connectCodingAgent(launch(), 'powershell', ui);
      assert.deepEqual(ui.copied, [copied]);
      assert.match(copied!, /^claude mcp add earshot/);
      assert.match(ui.messages[0], /PowerShell/);
      assert.match(ui.messages[0], /model, which may run in the cloud/);
      assert.match(ui.messages[0], /after Earshot updates, copy it again/);
    });

    it('a line the shell cannot take (a " in a name, for PowerShell) copies the JSON instead and says why', async () => {
      const ui = new FakeUi('claude');
      const l = launch({ owners: () => ['Bob "B" Smith'] });
      const copied = await connectCodingAgent(l, 'powershell', ui);
      assert.equal(copied, mcpClientJson(l));
      assert.deepEqual(ui.copied, [copied]);
      assert.match(ui.warnings[0], /could not write the Claude Code command for PowerShell .*double quote/);
      assert.match(ui.warnings[0], /may run in the cloud/);
    });

    it('another MCP client: {"mcpServers":{"earshot":{command,args,env}}}, the command VS Code\'s definition runs', async () => {
      const ui = new FakeUi('json');
      const l = launch({ cacheDir: () => 'D:\\models' });
      const copied = await connectCodingAgent(l, 'cmd', ui);
      assert.deepEqual(JSON.parse(copied!), { mcpServers: { earshot: mcpServerCommand(l) } });
      assert.deepEqual(ui.copied, [copied]);
      assert.match(ui.messages[0], /JSON/);
      assert.match(ui.messages[0], /copy it again/);
      assert.match(ui.messages[0], /cloud/);
    });

    it('VS Code agent mode copies nothing: it offers the MCP server (the setting on), or back to the Language Model Tools', async () => {
      const offer = new FakeUi('vscode', 'Use the MCP server instead');
      assert.equal(await connectCodingAgent(launch(), 'posix', offer), undefined);
      assert.deepEqual(offer.copied, []);
      assert.match(offer.messages[0], /already/);
      assert.equal(offer.setting, true);
      const back = new FakeUi('vscode', 'Use the Language Model Tools');
      back.setting = true;
      await connectCodingAgent(launch(), 'posix', back);
      assert.equal(back.setting, false);
      const old = new FakeUi('vscode', 'Use the MCP server instead');
      old.vscodeHasMcp = false;
      await connectCodingAgent(launch(), 'posix', old);
      assert.deepEqual(old.offered, [[]], 'no MCP server to offer before VS Code 1.101');
      assert.equal(old.setting, false);
    });

    it('nothing chosen: nothing copied, nothing said', async () => {
      const ui = new FakeUi(undefined);
      assert.equal(await connectCodingAgent(launch(), 'posix', ui), undefined);
      assert.deepEqual([ui.copied, ui.messages, ui.warnings], [[], [], []]);
    });
  });
});
