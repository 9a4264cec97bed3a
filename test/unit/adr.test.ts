/**
 * Decisions as ADRs (extension/decisions/adr.ts): MADR 4's layout from a decision, its standing and the lines around
 * it; hostile meeting text kept inert; the ADR folder's detection order; numbering after the highest (gaps, other
 * files, dated names); and the exclusive create: a name taken between the listing and the write, concurrent writers,
 * never an overwrite.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ADR_DIR_FILE, AdrFs, AdrSource, adrFileName, adrSlug, adrTitle, detectAdrFolder, highestAdrNumber, MAX_CREATE_TRIES, nodeAdrFs, renderAdr,
  writeAdr,
} from '../../extension/decisions/adr';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = require('js-yaml') as { load(text: string): Record<string, unknown> };

function source(over: Partial<AdrSource['decision']> = {}, lines?: AdrSource['lines']): AdrSource {
  return {
    decision: { sessionId: '20261127T100000-abc', id: 'd3', text: 'We use Postgres for the job queue. Redis stays for caching.', kind: 'decision', standing: 'decided', segmentId: 'seg5', t0: 125, ...over },
    meeting: { sessionId: '20261127T100000-abc', title: 'Architecture sync', startedAt: '2026-11-27T10:00:00.000Z' },
    lines: lines ?? [
      { speaker: 'Alice', t0: 110, text: 'Redis or Postgres for the queue?', hit: false },
      { speaker: 'Bob', t0: 125, text: 'We use Postgres for the job queue.', hit: true },
      { speaker: 'Carol', t0: 131, text: 'Fine by me.', hit: false },
      { speaker: 'Alice', t0: 140, text: 'Agreed.', hit: false },
    ],
    notes: { relativePath: '../../.earshot/notes/2026-11-27 Architecture sync.md', line: 14 },
  };
}

function frontMatter(md: string): Record<string, unknown> {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(md);
  assert.ok(m, 'front matter first');
  return yaml.load(m[1]);
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-adr-'));
}

describe('decision records (ADR layout)', () => {
  it('writes MADR 4: front matter, title, context from the cited lines, the outcome, the link back', () => {
    const md = renderAdr(source());
    assert.deepEqual(frontMatter(md), { status: 'accepted', date: new Date('2026-11-27'), 'decision-makers': ['Bob'], consulted: ['Alice', 'Carol'] });
    const headings = md.split('\n').filter((l) => l.startsWith('#'));
    assert.deepEqual(headings, ['# We use Postgres for the job queue', '## Context and Problem Statement', '## Decision Outcome', '## More Information']);
    assert.match(md, /^- \*\*\[01:50\] Alice:\*\* Redis or Postgres for the queue\?$/m);
    assert.match(md, /^- \*\*\[02:05\] Bob:\*\* We use Postgres for the job queue\. _\(the decision\)_$/m);
    assert.match(md, /^Decided: We use Postgres for the job queue\. Redis stays for caching\.$/m);
    assert.match(md, /said by Bob; session 20261127T100000-abc, decision d3\./);
    assert.match(md, /^\[The decision in the meeting's notes, line 14\]\(\.\.\/\.\.\/\.earshot\/notes\/2026-11-27%20Architecture%20sync\.md#L14\)$/m);
  });

  it('maps the standing: open → proposed (with its consequence), given → accepted as a constraint from outside, a negative decision says not', () => {
    const open = renderAdr(source({ standing: 'open', kind: 'deferral' }));
    assert.equal(frontMatter(open).status, 'proposed');
    assert.match(open, /^Left open: /m);
    assert.match(open, /recorded as proposed until the team decides/);
    assert.match(open, /^### Consequences\n\n\* Neutral, because it still has to be decided\.$/m);
    const given = renderAdr(source({ standing: 'given' }));
    assert.equal(frontMatter(given).status, 'accepted');
    assert.match(given, /^Given to the team: /m);
    assert.match(given, /constraint given to the team from outside it/);
    assert.doesNotMatch(given, /### Consequences/, 'none known: none made up');
    const negative = renderAdr(source({ kind: 'negative', text: 'We will not migrate to Kafka' }));
    assert.match(negative, /^Decided: \*\*not\*\* doing this: We will not migrate to Kafka$/m);
    assert.match(negative, /### Consequences/);
    // A journal from before standings: the kind decides.
    assert.equal(frontMatter(renderAdr(source({ standing: undefined, kind: 'deferral' }))).status, 'proposed');
  });

  it('without context lines or notes, says so and names the session', () => {
    const md = renderAdr({ ...source({}, []), notes: undefined });
    assert.deepEqual(frontMatter(md)['decision-makers'], []);
    assert.match(md, /its transcript is no longer stored/);
    assert.doesNotMatch(md, /\]\(/, 'no link');
  });

  it('keeps hostile meeting text inert: no HTML, no link, no heading, no front-matter key, no control character', () => {
    const evil = 'Ship it <img src=x onerror=alert(1)> [click](javascript:alert(1)) `rm -rf` \u001b]0;PWNED\u0007 \u202eevil\n# Injected heading\n---\nstatus: rejected';
    const md = renderAdr({
      ...source({ text: evil }, [{ speaker: 'Eve"]\nstatus: rejected\nx: ["', t0: 1, text: '<script>alert(1)</script>\n## Fake section', hit: true }]),
      meeting: { sessionId: 's<b>', title: 'Sync](http://evil) <a href=x>', startedAt: '2026-11-27T10:00:00Z' },
    });
    assert.doesNotMatch(md, /(?<!\\)<(img|script|a|b)\b/i, 'no raw HTML (an escaped \\< shows as text)');
    assert.doesNotMatch(md, /(?<!\\)\]\((?!\.\.\/\.\.\/\.earshot)/, 'the only link is ours (an escaped \\] opens none)');
    assert.doesNotMatch(md, /[\u0000-\u0009\u000b-\u001f\u007f\u202e]/, 'no control or bidi character');
    const headings = md.split('\n').filter((l) => /^#/.test(l));
    assert.equal(headings.length, 4, headings.join(' | '));
    assert.equal(md.split('\n').filter((l) => l === '---').length, 2, 'the front matter alone has ---');
    const meta = frontMatter(md);
    assert.equal(meta.status, 'accepted');
    assert.deepEqual(Object.keys(meta), ['status', 'date', 'decision-makers', 'consulted']);
    assert.deepEqual(meta['decision-makers'], ['Eve"] status: rejected x: ["']);
  });

  it('titles from the first sentence, short; slugs in ASCII', () => {
    assert.equal(adrTitle('we use Postgres for the queue. Then more.'), 'We use Postgres for the queue');
    assert.equal(adrTitle('- Ship it!'), 'Ship it');
    const long = adrTitle('We agreed that the retry policy for uploads uses exponential backoff with jitter capped at thirty seconds and five attempts overall');
    assert.ok(long.length <= 72 && long.endsWith('…'), long);
    assert.equal(adrTitle('  '), 'Decision');
    assert.equal(adrSlug('Café: use Ünïcode & “quotes” / slashes'), 'cafe-use-unicode-quotes-slashes');
    assert.equal(adrSlug('数据库使用'), 'decision');
    assert.ok(adrSlug('a'.repeat(30) + ' ' + 'b'.repeat(30)).length <= 50);
    assert.equal(adrFileName(7, 'Use Postgres'), '0007-use-postgres.md');
    assert.equal(adrFileName(12345, 'X'), '12345-x.md');
  });

  it('numbers after the highest ADR, past gaps, ignoring other files and dated names', () => {
    assert.equal(highestAdrNumber([]), 0);
    assert.equal(highestAdrNumber(['README.md', 'adr-template.md', 'index.md']), 0);
    assert.equal(highestAdrNumber(['0001-a.md', '0003-c.md', 'README.md', '0002-b.md']), 3);
    assert.equal(highestAdrNumber(['001-old-style.md', '0009-x.md', '12-y.md']), 12);
    assert.equal(highestAdrNumber(['0004-x.md', '2024-05-01-meeting-notes.md', '2024-q3.md']), 2024, 'a year-quarter name is read as a number (documented)');
    assert.equal(highestAdrNumber(['0004-x.md', '2024-05-01-meeting-notes.md']), 4);
  });
});

describe('decision records (ADR folder)', () => {
  const files = (dirs: string[], adrDir?: string): AdrFs => ({
    readText: async (rel) => (rel === ADR_DIR_FILE ? adrDir : undefined),
    isDirectory: async (rel) => dirs.includes(rel),
    list: async () => [], mkdirs: async () => {}, createNew: async () => true,
  });

  it('the setting, then adr-tools\' .adr-dir, then the first existing candidate, then docs/decisions', async () => {
    const all = ['adrs', 'adr', 'docs/architecture/decisions', 'doc/adr', 'docs/adrs', 'docs/adr', 'docs/decisions'];
    assert.deepEqual(await detectAdrFolder(files(all, 'doc/arch\n'), 'records/adr/'), { folder: 'records/adr', source: 'setting' });
    assert.deepEqual(await detectAdrFolder(files(all, 'doc/arch\n')), { folder: 'doc/arch', source: 'adr-dir' });
    const order = ['docs/decisions', 'docs/adr', 'docs/adrs', 'doc/adr', 'docs/architecture/decisions', 'adr', 'adrs'];
    for (let i = 0; i < order.length; i++) assert.deepEqual(await detectAdrFolder(files(order.slice(i))), { folder: order[i], source: 'existing' });
    assert.deepEqual(await detectAdrFolder(files([])), { folder: 'docs/decisions', source: 'default' });
  });

  it('refuses a setting outside the workspace folder; ignores such an .adr-dir', async () => {
    for (const bad of ['../elsewhere', '/etc', 'C:\\adr', 'docs/../../x', '..']) {
      await assert.rejects(detectAdrFolder(files([]), bad), /earshot\.adr\.folder must be a folder inside the workspace folder/, bad);
    }
    assert.deepEqual(await detectAdrFolder(files(['docs/adr'], '../../etc\n')), { folder: 'docs/adr', source: 'existing' });
    assert.deepEqual(await detectAdrFolder(files([], 'docs\\adr\r\n')), { folder: 'docs/adr', source: 'adr-dir' });
  });

  it('reads a real workspace: .adr-dir, then folders (node file system)', async () => {
    const root = tmp();
    fs.mkdirSync(path.join(root, 'adr'));
    assert.equal((await detectAdrFolder(nodeAdrFs(root))).folder, 'adr');
    fs.mkdirSync(path.join(root, 'docs/adr'), { recursive: true });
    assert.equal((await detectAdrFolder(nodeAdrFs(root))).folder, 'docs/adr');
    fs.writeFileSync(path.join(root, 'docs/decisions'), 'a file, not a folder');
    assert.equal((await detectAdrFolder(nodeAdrFs(root))).folder, 'docs/adr');
    fs.writeFileSync(path.join(root, '.adr-dir'), 'doc/architecture/decisions\n');
    assert.equal((await detectAdrFolder(nodeAdrFs(root))).folder, 'doc/architecture/decisions');
  });
});

describe('decision records (exclusive create)', () => {
  it('creates the folder and numbers 0001, then after the highest, past other files', async () => {
    const root = tmp();
    const files = nodeAdrFs(root);
    assert.deepEqual(await writeAdr(files, 'docs/decisions', 'Use Postgres', (n) => `# ${n}\n`), { number: 1, rel: 'docs/decisions/0001-use-postgres.md' });
    fs.writeFileSync(path.join(root, 'docs/decisions/0007-older.md'), 'old');
    fs.writeFileSync(path.join(root, 'docs/decisions/README.md'), 'readme');
    assert.deepEqual(await writeAdr(files, 'docs/decisions', 'Use Postgres', (n) => `# ${n}\n`), { number: 8, rel: 'docs/decisions/0008-use-postgres.md' });
    assert.equal(fs.readFileSync(path.join(root, 'docs/decisions/0001-use-postgres.md'), 'utf8'), '# 1\n');
    assert.equal(fs.readFileSync(path.join(root, 'docs/decisions/0007-older.md'), 'utf8'), 'old');
  });

  it('a name taken between the listing and the write is never overwritten: the next number is taken', async () => {
    const root = tmp();
    const real = nodeAdrFs(root);
    let raced = false;
    const racing: AdrFs = {
      ...real,
      list: async (rel) => {
        const names = await real.list(rel);
        if (!raced) {
          raced = true; // another writer creates the same name right after our listing
          fs.writeFileSync(path.join(root, rel, '0001-use-postgres.md'), 'theirs');
        }
        return names;
      },
    };
    assert.deepEqual(await writeAdr(racing, 'adr', 'Use Postgres', () => 'ours'), { number: 2, rel: 'adr/0002-use-postgres.md' });
    assert.equal(fs.readFileSync(path.join(root, 'adr/0001-use-postgres.md'), 'utf8'), 'theirs');
    assert.equal(fs.readFileSync(path.join(root, 'adr/0002-use-postgres.md'), 'utf8'), 'ours');
  });

  it('concurrent writers of the same title each get their own number', async () => {
    const root = tmp();
    const files = nodeAdrFs(root);
    await fs.promises.mkdir(path.join(root, 'adr'));
    const written = await Promise.all(Array.from({ length: 6 }, (_, k) => writeAdr(files, 'adr', 'Same title', () => `writer ${k}`)));
    assert.deepEqual(written.map((w) => w.number).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6]);
    const contents = fs.readdirSync(path.join(root, 'adr')).map((f) => fs.readFileSync(path.join(root, 'adr', f), 'utf8')).sort();
    assert.deepEqual(contents, [0, 1, 2, 3, 4, 5].map((k) => `writer ${k}`));
  });

  it('gives up after bounded tries, writing nothing', async () => {
    let creates = 0;
    const full: AdrFs = { readText: async () => undefined, isDirectory: async () => true, list: async () => [], mkdirs: async () => {}, createNew: async () => { creates++; return false; } };
    await assert.rejects(writeAdr(full, 'adr', 'X', () => 'x'), new RegExp(`after ${MAX_CREATE_TRIES} tries`));
    assert.equal(creates, MAX_CREATE_TRIES);
  });

  it('a write that fails for another reason is said, not retried', async () => {
    const root = tmp();
    fs.writeFileSync(path.join(root, 'adr'), 'a file where the folder should be');
    await assert.rejects(writeAdr(nodeAdrFs(root), 'adr', 'X', () => 'x'), /EEXIST|ENOTDIR/);
  });
});
