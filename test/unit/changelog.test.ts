/**
 * CHANGELOG.md, which the Marketplace shows from the VSIX: it keeps Keep a Changelog 1.1.0's form (a title, an intro
 * naming the format and Semantic Versioning, `## [Unreleased]` first, then `## [x.y.z] - YYYY-MM-DD` newest first,
 * only the six standard subsections, none empty, link references for the versions at the bottom), package.json's
 * version is the newest released one (or, while nothing is released, [Unreleased] holds the work), and the package
 * keeps the file where vsce makes it the Changelog tab.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { minimatch } from 'minimatch';
import { REPO_ROOT } from '../setup';
import { vsceIgnores } from '../support/vsce-ignore';

/* eslint-disable @typescript-eslint/no-require-imports */
const packager = require(path.join(REPO_ROOT, 'scripts', 'package-vsix.js')) as {
  plan(target: string): { target: string };
  ignoreFileText(plan: { target: string }): string;
  hostTarget(): string;
};

const CHANGELOG = path.join(REPO_ROOT, 'CHANGELOG.md');
const SUBSECTIONS = ['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security'];
const VERSION_HEADING = /^## \[(\d+)\.(\d+)\.(\d+)\] - (\d{4}-\d{2}-\d{2})$/;

interface Version { label: string; version?: [number, number, number]; date?: string; line: number }
interface Parsed { problems: string[]; versions: Version[] }

/** Whether YYYY-MM-DD names a real day. */
function realDate(d: string): boolean {
  const t = new Date(`${d}T00:00:00Z`);
  return !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === d;
}

function newer(a: [number, number, number], b: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return false;
}

/** Every departure from the form, with its line; and the version sections in order. */
function parseChangelog(text: string): Parsed {
  const problems: string[] = [];
  const versions: Version[] = [];
  const lines = text.split('\n');
  if (lines[0] !== '# Changelog') problems.push(`line 1: "${lines[0]}", not "# Changelog"`);
  const firstSection = lines.findIndex((l) => l.startsWith('## '));
  const intro = lines.slice(1, firstSection < 0 ? lines.length : firstSection).join('\n');
  if (!/\[Keep a Changelog\]\(https:\/\/keepachangelog\.com\/en\/1\.1\.0\/?\)/.test(intro)) problems.push('the intro does not link Keep a Changelog 1.1.0');
  if (!/\[Semantic Versioning\]\(https:\/\/semver\.org\/[^)]*\)/.test(intro)) problems.push('the intro does not link Semantic Versioning');

  // Link reference definitions ("[1.0.0]: https://…") belong at the bottom, after every section's text.
  const isReference = (l: string) => /^\[[^\]]+\]: \S+$/.test(l);
  const references = new Map<string, number>();
  let subsection: { name: string; line: number; bullets: number } | null = null;
  const seen = new Set<string>();
  const closeSubsection = () => {
    if (subsection && subsection.bullets === 0) problems.push(`line ${subsection.line}: ### ${subsection.name} is empty`);
    subsection = null;
  };
  lines.forEach((l, i) => {
    const n = i + 1;
    if (isReference(l)) {
      references.set(l.slice(1, l.indexOf(']')), n);
      return;
    }
    if (references.size && l.trim()) problems.push(`line ${n}: text after the link references, which belong at the bottom`);
    if (l.startsWith('## ')) {
      closeSubsection();
      seen.clear();
      const m = VERSION_HEADING.exec(l);
      if (l === '## [Unreleased]') {
        if (versions.length) problems.push(`line ${n}: [Unreleased] must come first`);
        versions.push({ label: 'Unreleased', line: n });
      } else if (m) {
        const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
        if (!realDate(m[4])) problems.push(`line ${n}: ${m[4]} is not a date`);
        versions.push({ label: `${major}.${minor}.${patch}`, version: [major, minor, patch], date: m[4], line: n });
      } else {
        problems.push(`line ${n}: "${l}" is neither "## [Unreleased]" nor "## [x.y.z] - YYYY-MM-DD"`);
      }
    } else if (l.startsWith('### ')) {
      closeSubsection();
      const name = l.slice(4);
      if (!versions.length) problems.push(`line ${n}: ### ${name} before any version`);
      if (!SUBSECTIONS.includes(name)) problems.push(`line ${n}: ### ${name} is not one of ${SUBSECTIONS.join(', ')}`);
      if (seen.has(name)) problems.push(`line ${n}: a second ### ${name} in one version`);
      seen.add(name);
      subsection = { name, line: n, bullets: 0 };
    } else if (/^#{1,6} /.test(l) && i > 0) {
      problems.push(`line ${n}: "${l}": only ## versions and ### subsections are headings here`);
    } else if (l.startsWith('- ')) {
      if (subsection) (subsection as { bullets: number }).bullets++;
      else if (versions.length) problems.push(`line ${n}: an entry outside any ### subsection`);
    }
  });
  closeSubsection();

  if (!versions.length || versions[0].label !== 'Unreleased') problems.push('no ## [Unreleased] section first');
  const released = versions.filter((v) => v.version);
  for (let i = 1; i < released.length; i++) {
    const [a, b] = [released[i - 1], released[i]];
    if (!newer(a.version!, b.version!)) problems.push(`line ${b.line}: ${b.label} is not older than ${a.label} above it`);
    if (b.date! > a.date!) problems.push(`line ${b.line}: ${b.label}'s date ${b.date} is after ${a.label}'s ${a.date}`);
  }
  // Once a version is released, each heading links its comparison (Keep a Changelog's footer), and only headings do.
  if (released.length) {
    for (const v of versions) if (!references.has(v.label)) problems.push(`line ${v.line}: [${v.label}] has no link reference at the bottom`);
  }
  for (const [label, n] of references) {
    if (!versions.some((v) => v.label === label)) problems.push(`line ${n}: link reference [${label}] names no section`);
  }
  // vsce packs with --no-rewrite-relative-links (scripts/package-vsix.js) and the package lacks most of the
  // repository (BENCHMARKS.md, docs/ sources), so a relative link would be broken on the Marketplace's Changelog tab.
  lines.forEach((l, i) => {
    for (const m of l.matchAll(/\]\(([^)\s]+)[^)]*\)|^\[[^\]]+\]: (\S+)$/g)) {
      const target = m[1] ?? m[2];
      if (!/^https:\/\//.test(target)) problems.push(`line ${i + 1}: link to ${target}, not an https:// address`);
    }
  });
  return { problems, versions };
}

const GOOD = [
  '# Changelog',
  '',
  'The format follows [Keep a Changelog](https://keepachangelog.com/en/1.1.0/), versions',
  '[Semantic Versioning](https://semver.org/spec/v2.0.0.html).',
  '',
  '## [Unreleased]',
  '',
  '## [0.2.0] - 2026-12-10',
  '',
  '### Added',
  '',
  '- Something.',
  '',
  '## [0.1.0] - 2026-12-01',
  '',
  '### Fixed',
  '',
  '- Something else.',
  '',
  '[Unreleased]: https://example.com/compare/v0.2.0...HEAD',
  '[0.2.0]: https://example.com/compare/v0.1.0...v0.2.0',
  '[0.1.0]: https://example.com/releases/tag/v0.1.0',
  '',
].join('\n');

describe('CHANGELOG.md', () => {
  const text = fs.readFileSync(CHANGELOG, 'utf8');
  const parsed = parseChangelog(text);

  it('keeps the Keep a Changelog form: title, intro, [Unreleased] first, versions newest first, the six subsections, none empty', () => {
    assert.deepEqual(parsed.problems, []);
  });

  it('holds what is built: package.json\'s version is the newest released one, or nothing is released and [Unreleased] has entries', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const released = parsed.versions.filter((v) => v.version);
    if (released.length) {
      assert.equal(version, released[0].label, `package.json says ${version}, the newest release in CHANGELOG.md is ${released[0].label}`);
    } else {
      const unreleased = text.slice(text.indexOf('## [Unreleased]'));
      assert.match(unreleased, /^### (Added|Changed|Deprecated|Removed|Fixed|Security)$/m, `nothing released: the work up to ${version} is listed under [Unreleased]`);
    }
  });

  it('tells each departure from the form (the checker above, on broken copies of a good changelog)', () => {
    assert.deepEqual(parseChangelog(GOOD).problems, []);
    const broken: [string, (s: string) => string, RegExp][] = [
      ['no title', (s) => s.replace('# Changelog', '# Changes'), /not "# Changelog"/],
      ['no Keep a Changelog link', (s) => s.replace('(https://keepachangelog.com/en/1.1.0/)', ''), /Keep a Changelog/],
      ['no semver link', (s) => s.replace('[Semantic Versioning](https://semver.org/spec/v2.0.0.html)', 'semver'), /Semantic Versioning/],
      ['Unreleased last', (s) => s.replace('## [Unreleased]\n', '').replace('### Fixed\n\n- Something else.\n', '### Fixed\n\n- Something else.\n\n## [Unreleased]\n'), /Unreleased/],
      ['versions in the wrong order', (s) => s.replace('0.2.0] - 2026-12-10', '0.0.9] - 2026-12-10'), /not older than/],
      ['dates in the wrong order', (s) => s.replace('2026-12-01', '2026-12-20'), /is after/],
      ['a day that does not exist', (s) => s.replace('2026-12-01', '2026-02-30'), /not a date/],
      ['a heading without a date', (s) => s.replace('## [0.1.0] - 2026-12-01', '## [0.1.0]'), /neither/],
      ['a subsection Keep a Changelog does not have', (s) => s.replace('### Fixed', '### Bug fixes'), /not one of/],
      ['an empty subsection', (s) => s.replace('### Added\n\n- Something.\n', '### Added\n\n### Changed\n\n- Something.\n'), /### Added is empty/],
      ['a subsection twice', (s) => s.replace('### Added\n\n- Something.\n', '### Added\n\n- Something.\n\n### Added\n\n- More.\n'), /a second ### Added/],
      ['a deeper heading', (s) => s.replace('- Something.\n', '#### Panel\n\n- Something.\n'), /only ## versions/],
      ['a version without its link', (s) => s.replace('[0.1.0]: https://example.com/releases/tag/v0.1.0\n', ''), /\[0\.1\.0\] has no link reference/],
      ['links not at the bottom', (s) => s.replace('[0.1.0]: https://example.com/releases/tag/v0.1.0\n', '').replace('## [0.1.0]', '[0.1.0]: https://example.com/releases/tag/v0.1.0\n\n## [0.1.0]'), /belong at the bottom/],
      ['a relative link', (s) => s.replace('- Something.', '- Something ([figures](BENCHMARKS.md)).'), /link to BENCHMARKS\.md/],
    ];
    for (const [what, breakIt, expected] of broken) {
      const problems = parseChangelog(breakIt(GOOD)).problems;
      assert.ok(problems.some((p) => expected.test(p)), `${what}: expected a problem matching ${expected}, got ${JSON.stringify(problems)}`);
    }
  });

  it('ships in the VSIX at the root, where vsce makes it the Marketplace\'s Changelog tab', () => {
    // vsce 3.9.1 (out/package.js): ChangelogProcessor takes the root file `changelog.md`, any case, as the asset
    // Microsoft.VisualStudio.Services.Content.Changelog; collectFiles drops what its defaultIgnore list or the
    // --ignoreFile that package-vsix.js writes (.vscodeignore plus the target's foreign binaries) leaves out.
    assert.match(path.basename(CHANGELOG), /^changelog\.md$/i);
    const vsceDefaultIgnore = ['.vscodeignore', 'package-lock.json', 'npm-debug.log', 'yarn.lock', 'yarn-error.log',
      'npm-shrinkwrap.json', '.editorconfig', '.npmrc', '.yarnrc', '.gitattributes', '*.todo', 'tslint.yaml', '.eslintrc*',
      '.babelrc*', '.prettierrc*', '.cz-config.js', '.commitlintrc*', 'webpack.config.js', 'ISSUE_TEMPLATE.md',
      'CONTRIBUTING.md', 'PULL_REQUEST_TEMPLATE.md', 'CODE_OF_CONDUCT.md', '.github', '.travis.yml', 'appveyor.yml',
      '**/.git', '**/.git/**', '**/*.vsix', '**/.DS_Store', '**/*.vsixmanifest', '**/.vscode-test/**', '**/.vscode-test-web/**'];
    assert.ok(!vsceDefaultIgnore.some((p) => minimatch('CHANGELOG.md', p, { dot: true })), 'vsce itself leaves CHANGELOG.md out');
    const ignore = packager.ignoreFileText(packager.plan(packager.hostTarget()));
    assert.ok(!vsceIgnores(ignore, 'CHANGELOG.md'), 'the ignore file package-vsix.js hands vsce leaves CHANGELOG.md out (.vscodeignore?)');
    // The helper does see a root Markdown file the ignore file names, so the check above can fail.
    assert.ok(vsceIgnores(`${ignore}\n*.md\n`, 'CHANGELOG.md'));
  });
});
