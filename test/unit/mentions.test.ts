import * as assert from 'node:assert/strict';
import { MentionTarget, WorkspaceSymbolInfo } from '../../protocol/protocol';
import { linkDestination } from '../../protocol/markdownText';
import {
  buildIndex, buildIndexInSlices, findMentions, linkify, Mention, segmentMentions, WorkspaceIndex,
} from '../../daemon/anchoring/mentions';

const FILES = [
  'src/auth.ts',
  'src/config.ts',
  'src/utils/dateHelpers.ts',
  'src/services/userService.ts',
  'src/mail/invoiceMailer.ts',
  'src/größeBerechnen.ts',
  'src/ui/view.ts',
  'test/auth.test.ts',
  'config/default.json',
  'package.json',
  'README.md',
  'Makefile',
];
const SYMBOLS: WorkspaceSymbolInfo[] = [
  { name: 'parseConfig', kind: 'function', path: 'src/config.ts', line: 40 },
  { name: 'parseConfigFile', kind: 'function', path: 'src/config.ts', line: 70 },
  { name: 'MAX_RETRIES', kind: 'constant', path: 'src/config.ts', line: 3 },
  { name: 'config', kind: 'variable', path: 'src/config.ts', line: 1 },
  { name: 'UserService', kind: 'class', path: 'src/services/userService.ts', line: 12 },
  { name: 'user', kind: 'variable', path: 'src/services/userService.ts', line: 5 },
  { name: 'render', kind: 'function', path: 'src/ui/view.ts', line: 10 },
  { name: 'InvoiceMailer', kind: 'class', path: 'src/mail/invoiceMailer.ts', line: 7 },
  { name: 'größeBerechnen', kind: 'function', path: 'src/größeBerechnen.ts', line: 2 },
  { name: 'id', kind: 'variable', path: 'src/auth.ts', line: 1 },
];
const INDEX = buildIndex(FILES, SYMBOLS);

/** [what was said, where it points, 'exact' or 'spoken'] per expected mention, in text order. */
type Expected = [said: string, target: string, confidence: 'exact' | 'spoken'];
const where = (t: MentionTarget) => `${t.path}${t.line !== undefined ? `:${t.line}` : ''}`;

function check(text: string, expected: Expected[], index = INDEX): Mention[] {
  const found = findMentions(text, index);
  assert.deepEqual(found.map((m) => [text.slice(m.start, m.end), where(m.target), m.confidence]), expected, text);
  return found;
}

describe('mentions of workspace files and symbols', () => {
  const table: [string, string, Expected[]][] = [
    // files, spoken
    ['file with "dot"', "let's look at auth dot ts", [['auth dot ts', 'src/auth.ts', 'spoken']]],
    ['capitalised spoken', 'Auth Dot TS has the bug', [['Auth Dot TS', 'src/auth.ts', 'spoken']]],
    ['file without "dot"', 'check auth ts first', [['auth ts', 'src/auth.ts', 'spoken']]],
    ['stem with a cue', 'the auth module needs work', [['auth', 'src/auth.ts', 'spoken']]],
    ['package json', 'bump the version in package json', [['package json', 'package.json', 'spoken']]],
    ['the README', 'it is all in the README', [['README', 'README.md', 'spoken']]],
    ['the readme, lower case', 'update the readme please', [['readme', 'README.md', 'spoken']]],
    ['spoken path', 'in src slash auth dot ts we', [['src slash auth dot ts', 'src/auth.ts', 'spoken']]],
    ['spoken path to a camelCase stem', 'see utils slash date helpers', [['utils slash date helpers', 'src/utils/dateHelpers.ts', 'spoken']]],
    ['stem of a test file, with a cue', 'the auth test file fails', [['auth test', 'test/auth.test.ts', 'spoken']]],
    // files, as whisper writes them
    ['written file', 'open auth.ts please', [['auth.ts', 'src/auth.ts', 'exact']]],
    ['written file, other casing', 'Auth.TS is broken', [['Auth.TS', 'src/auth.ts', 'spoken']]],
    ['written path', 'see src/auth.ts.', [['src/auth.ts', 'src/auth.ts', 'exact']]],
    ['written path, backslashes', 'see src\\utils\\dateHelpers.ts', [['src\\utils\\dateHelpers.ts', 'src/utils/dateHelpers.ts', 'spoken']]],
    ['written camelCase stem', 'dateHelpers is old', [['dateHelpers', 'src/utils/dateHelpers.ts', 'spoken']]],
    ['extensionless file', 'the Makefile target', [['Makefile', 'Makefile', 'exact']]],
    // symbols
    ['exact identifier with cue', 'the parseConfig function', [['parseConfig', 'src/config.ts:40', 'exact']]],
    ['exact identifier alone', 'did you change parseConfig?', [['parseConfig', 'src/config.ts:40', 'exact']]],
    ['spoken words with cue', 'parse config function', [['parse config', 'src/config.ts:40', 'spoken']]],
    ['spoken words, one rare word, no cue', 'parse config reads it', [['parse config', 'src/config.ts:40', 'spoken']]],
    ['PascalCase variant', 'ParseConfig throws', [['ParseConfig', 'src/config.ts:40', 'spoken']]],
    ['snake_case variant', 'parse_config throws', [['parse_config', 'src/config.ts:40', 'spoken']]],
    ['kebab variant', 'parse-config throws', [['parse-config', 'src/config.ts:40', 'spoken']]],
    ['CONSTANT_CASE exact', 'raise MAX_RETRIES to five', [['MAX_RETRIES', 'src/config.ts:3', 'exact']]],
    ['CONSTANT_CASE spoken', 'raise max retries to five', [['max retries', 'src/config.ts:3', 'spoken']]],
    ['class, exact', 'the UserService class', [['UserService', 'src/services/userService.ts:12', 'exact']]],
    ['class, spoken with a cue', 'the user service class is big', [['user service', 'src/services/userService.ts:12', 'spoken']]],
    ['class, cue before', 'class user service', [['user service', 'src/services/userService.ts:12', 'spoken']]],
    ['class, rare word, no cue', 'the invoice mailer sends it', [['invoice mailer', 'src/mail/invoiceMailer.ts:7', 'spoken']]],
    ['single word with cue', 'the render function is slow', [['render', 'src/ui/view.ts:10', 'exact']]],
    ['longest wins over a cue', 'the parse config file function', [['parse config file', 'src/config.ts:70', 'spoken']]],
    ['two mentions', 'parseConfig lives in src/config.ts', [['parseConfig', 'src/config.ts:40', 'exact'], ['src/config.ts', 'src/config.ts', 'exact']]],
    // no false links
    ['ordinary: config', 'we need to update the config', []],
    ['ordinary: user', 'the user said it was fine', []],
    ['ordinary: common pair without cue', 'user service is slow today', []],
    ['ordinary: render as a verb', 'render it again', []],
    ['ordinary: auth alone', 'auth is hard', []],
    ['ordinary: let us go', "let's go to the test", []],
    ['cue of the wrong kind', 'the config class', []],
    ['short symbol names', 'the id function', []],
    ['part of a longer identifier', 'parseConfigLoader and myParseConfig', []],
    ['after a dot', 'call foo.auth now', []],
    ['sound-alike is not matched', 'off dot ts', []],
    // punctuation and unicode
    ['punctuation around', '(auth.ts), "parseConfig"; [UserService]!', [['auth.ts', 'src/auth.ts', 'exact'], ['parseConfig', 'src/config.ts:40', 'exact'], ['UserService', 'src/services/userService.ts:12', 'exact']]],
    ['curly quotes', '“auth dot ts” — done', [['auth dot ts', 'src/auth.ts', 'spoken']]],
    ['sentence end', 'It is in auth dot ts.', [['auth dot ts', 'src/auth.ts', 'spoken']]],
    ['unicode identifier', '🎉 die größeBerechnen Funktion', [['größeBerechnen', 'src/größeBerechnen.ts:2', 'exact']]],
    ['unicode spoken', 'dann größe berechnen aufrufen', [['größe berechnen', 'src/größeBerechnen.ts:2', 'spoken']]],
    ['offsets after astral characters', '😀😀 auth.ts', [['auth.ts', 'src/auth.ts', 'exact']]],
  ];
  for (const [name, text, expected] of table) it(name, () => { check(text, expected); });

  describe('ambiguity', () => {
    const index = buildIndex(
      ['src/auth.ts', 'lib/auth.ts', 'src/a.ts', 'src/b.ts', 'test/fixtures/auth.ts'],
      [
        { name: 'parseConfig', kind: 'function', path: 'src/a.ts', line: 4 },
        { name: 'parseConfig', kind: 'variable', path: 'lib/auth.ts', line: 9 },
        { name: 'Parser', kind: 'class', path: 'src/b.ts', line: 1 },
        { name: 'parser', kind: 'variable', path: 'src/a.ts', line: 2 },
      ],
    );
    it('ranks two files of one name: biggest top folder first, then the rest, fixtures last', () => {
      const [m] = check('auth dot ts', [['auth dot ts', 'src/auth.ts', 'spoken']], index);
      assert.deepEqual(m.alternatives?.map((t) => t.path), ['lib/auth.ts', 'test/fixtures/auth.ts']);
    });
    it('a folder settles it', () => {
      const [m] = check('lib slash auth dot ts', [['lib slash auth dot ts', 'lib/auth.ts', 'spoken']], index);
      assert.equal(m.alternatives, undefined);
    });
    it('preferPaths (the active editor) wins', () => {
      const [m] = findMentions('auth.ts', index, { preferPaths: ['lib/auth.ts'] });
      assert.equal(m.target.path, 'lib/auth.ts');
      assert.equal(m.confidence, 'exact');
    });
    it('a name in part ("auth ts", "the auth module") links only when one file has it', () => {
      check('the auth module', [], index);
      check('auth ts', [], index);
    });
    it('two symbols of one name: declarations first, the other as an alternative', () => {
      const [m] = check('parseConfig', [['parseConfig', 'src/a.ts:4', 'exact']], index);
      assert.deepEqual(m.alternatives?.map(where), ['lib/auth.ts:9']);
    });
    it('the cue picks the kind', () => {
      const [m] = check('the parser class', [['parser', 'src/b.ts:1', 'spoken']], index);
      assert.equal(m.alternatives, undefined);
      check('the Parser', [], index);
    });
  });

  describe('linkify (Markdown)', () => {
    it('links mentions to workspace-relative paths and lines', () => {
      const text = 'Fix parseConfig in auth dot ts now';
      assert.equal(linkify(text, findMentions(text, INDEX), 'markdown'), 'Fix [parseConfig](src/config.ts#L40) in [auth dot ts](src/auth.ts) now');
    });
    it('escapes the text and the labels', () => {
      const text = 'a *b* <i> [x] # MAX_RETRIES | `c`';
      assert.equal(linkify(text, findMentions(text, INDEX)), 'a \\*b\\* \\<i\\> \\[x\\] \\# [MAX\\_RETRIES](src/config.ts#L3) \\| \\`c\\`');
    });
    it('encodes paths and adds a prefix', () => {
      const index = buildIndex(['docs/My Notes (old).md'], []);
      const text = 'see docs/My Notes (old).md';
      const mentions: Mention[] = [{ start: 4, end: text.length, target: { kind: 'file', path: 'docs/My Notes (old).md' }, confidence: 'exact' }];
      assert.equal(linkify(text, mentions, 'markdown', { pathPrefix: '../../' }), 'see [docs/My Notes (old).md](../../docs/My%20Notes%20%28old%29.md)');
      assert.equal(findMentions('the my notes file', index).length, 0);
    });
    it('skips overlapping or out-of-range mentions and keeps the rest of the text', () => {
      const t = { kind: 'file' as const, path: 'a.ts' };
      const mentions: Mention[] = [{ start: 0, end: 4, target: t, confidence: 'exact' }, { start: 2, end: 6, target: t, confidence: 'exact' }, { start: 8, end: 99, target: t, confidence: 'exact' }];
      assert.equal(linkify('abcdefgh_ij', mentions), '[abcd](a.ts)efgh\\_ij');
    });
    it('collapses line breaks so a mention cannot start a block', () => {
      assert.equal(linkify('one\n# two', []), 'one \\# two');
    });
  });

  describe('as segments carry them', () => {
    it('targets have the protocol\'s shape: a file is its path, a symbol its path, line and name', () => {
      const text = 'parseConfig lives in src/config.ts';
      // No `confidence`: the matcher's own measure is not journaled.
      assert.deepEqual(segmentMentions(text, INDEX), [
        { start: 0, end: 11, target: { kind: 'symbol', path: 'src/config.ts', line: 40, name: 'parseConfig' } },
        { start: 21, end: 34, target: { kind: 'file', path: 'src/config.ts' } },
      ]);
    });

    it('link destinations: percent-encoded, a line or a range of lines', () => {
      assert.equal(linkDestination('src/auth.ts', '../../'), '../../src/auth.ts');
      assert.equal(linkDestination('src/auth.ts', '../../', 40), '../../src/auth.ts#L40');
      assert.equal(linkDestination('src/auth.ts', '', 40, 52), 'src/auth.ts#L40-L52');
      assert.equal(linkDestination('src/auth.ts', '', 40, 40), 'src/auth.ts#L40');
      assert.equal(linkDestination('a b/c#d.ts', ''), 'a%20b/c%23d.ts');
    });

    it('linkify leaves malformed mentions (a journal on disk) as text', () => {
      const bad = [{ start: 0, end: 3 }, { start: 'x', end: 4, target: { kind: 'file', path: 'a.ts' } }, { start: 0, end: 2, target: { kind: 'file', path: '' } }];
      assert.equal(linkify('abc_def', bad as never), 'abc\\_def');
    });
  });

  describe('building the index in slices', () => {
    const shapeOf = (index: WorkspaceIndex) => ({
      fileCount: index.fileCount, symbolCount: index.symbolCount, keys: [...index.keys].map(([k, v]) => [k, v.map((e) => e.target)]),
      prefixes: [...index.prefixes].sort(), filesPerTop: [...index.filesPerTop],
    });

    it('gives the same index as building it at once', async () => {
      const sliced = await buildIndexInSlices(FILES, SYMBOLS, { sliceMs: 0 });
      assert.ok(sliced);
      assert.deepEqual(shapeOf(sliced), shapeOf(INDEX));
    });

    it('keeps the event loop free on a big workspace, and stops when cancelled', async function () {
      this.timeout(30_000);
      const files = Array.from({ length: 5000 }, (_, i) => `src/module${i}/fileNumber${i}.ts`);
      const symbols: WorkspaceSymbolInfo[] = Array.from({ length: 20000 }, (_, i) => ({ name: `handleEvent${i}Now`, kind: 'function', path: files[i % 5000], line: 1 + i }));
      // How long the loop was held between two ticks of a 1 ms probe: the wall time, but no more than the CPU time this
      // process used meanwhile. A tick late because the process got no CPU (a loaded machine) was not held by the
      // build, which runs only on the CPU; a build that does not yield holds the loop for its whole CPU time.
      let longest = 0;
      let last = performance.now();
      let lastCpu = process.cpuUsage();
      const probe = setInterval(() => {
        const now = performance.now();
        const cpu = process.cpuUsage(lastCpu);
        longest = Math.max(longest, Math.min(now - last, (cpu.user + cpu.system) / 1000));
        last = now;
        lastCpu = process.cpuUsage();
      }, 1);
      try {
        const index = await buildIndexInSlices(files, symbols);
        assert.equal(index?.fileCount, 5000);
        assert.equal(findMentions('see fileNumber42.ts', index!)[0]?.target.path, 'src/module42/fileNumber42.ts');
      } finally {
        clearInterval(probe);
      }
      assert.ok(longest < 150, `the event loop was held for ${longest.toFixed(0)} ms (of CPU)`);
      let checks = 0;
      assert.equal(await buildIndexInSlices(files, symbols, { sliceMs: 0, cancelled: () => ++checks > 2 }), undefined);
    });
  });

  describe('speed', () => {
    it('matches a two-hour transcript against a big workspace well within bounds', function () {
      this.timeout(30_000);
      let seed = 42;
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
      const parts = ['parse', 'config', 'user', 'service', 'invoice', 'mailer', 'date', 'helper', 'render', 'load', 'auth', 'token', 'cache', 'query', 'router', 'widget', 'payment', 'order', 'stream', 'buffer', 'socket', 'session', 'retry', 'queue', 'worker', 'schema', 'field', 'graph', 'node', 'edge'];
      const name = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? pick(parts) : pick(parts).replace(/^./, (c) => c.toUpperCase()))).join('');
      const folders = ['src', 'src/utils', 'src/services', 'src/ui/components', 'lib', 'test', 'packages/core/src', 'packages/web/src/pages'];
      const files = Array.from({ length: 5000 }, (_, i) => `${pick(folders)}/${name(1 + (i % 3))}${i}.${pick(['ts', 'tsx', 'json', 'md'])}`);
      const kinds = ['function', 'method', 'class', 'interface', 'variable', 'constant'];
      const symbols: WorkspaceSymbolInfo[] = Array.from({ length: 20000 }, (_, i) => ({ name: name(1 + (i % 4)), kind: pick(kinds), path: pick(files), line: 1 + (i % 500) }));
      const filler = 'so we need to update the config and then the user said that the service was slow but we think it is fine now okay'.split(' ');
      const segments = Array.from({ length: 1500 }, () => Array.from({ length: 25 }, () => {
        const r = random();
        if (r < 0.04) return pick(symbols).name;
        if (r < 0.06) return `${name(2).replace(/([A-Z])/g, ' $1').toLowerCase()} function`;
        if (r < 0.07) return `${pick(files).split('/').pop()!.replace('.', ' dot ')}`;
        return pick(filler);
      }).join(' '));

      // CPU time, not wall time: on a loaded machine the wall time grows with the other processes' share of the CPU.
      // The bound catches a matcher gone quadratic (over 10 times the 0.3 s this takes); its speed is a benchmark's.
      const cpuMs = (since: NodeJS.CpuUsage) => { const u = process.cpuUsage(since); return (u.user + u.system) / 1000; };
      let t0 = process.cpuUsage();
      const index = buildIndex(files, symbols);
      const buildMs = cpuMs(t0);
      t0 = process.cpuUsage();
      let count = 0;
      for (const s of segments) count += findMentions(s, index).length;
      const matchMs = cpuMs(t0);
      console.log(`      index: ${index.fileCount} files, ${index.symbolCount} symbols, ${index.keys.size} keys in ${buildMs.toFixed(0)} ms of CPU; ` +
        `1500 segments: ${count} mentions in ${matchMs.toFixed(0)} ms of CPU`);
      assert.ok(count > 1500, `found ${count}`);
      assert.ok(buildMs + matchMs < 5000, `${(buildMs + matchMs).toFixed(0)} ms of CPU`);
    });
  });
});
