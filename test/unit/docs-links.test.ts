/**
 * The documentation's relative links resolve: every link and image in README.md, CONTRIBUTING.md, CHANGELOG.md,
 * BENCHMARKS.md and docs/ names a file or folder that is in the repository, and every #anchor names a heading of the
 * Markdown file it points into, by GitHub's slug of that heading (what GitHub and the Marketplace link to). Links with
 * a scheme (https:, mailto:) are not followed. Text moved between these files keeps its links true only if something
 * checks them: a page one folder deeper, or a heading renamed, breaks them silently otherwise.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';
import { anchors, slug } from '../support/markdownAnchors';

/** The Markdown files whose links are checked, relative to the repository (those of them that exist). */
function documents(root: string): string[] {
  const docs: string[] = [];
  const walk = (dir: string): void => {
    if (!fs.existsSync(path.join(root, dir))) return;
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.md')) docs.push(rel);
    }
  };
  walk('docs');
  return [...['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', 'BENCHMARKS.md'].filter((f) => fs.existsSync(path.join(root, f))), ...docs.sort()];
}

/** Markdown without its fenced code blocks and code spans (a link written there is an example, not a link). */
function prose(markdown: string): string {
  return markdown.replace(/^ {0,3}(```|~~~)[\s\S]*?^ {0,3}\1[^\n]*$/gm, '').replace(/(`+)[^`\n][\s\S]*?\1/g, '');
}

/** Every link target: inline links and images, reference definitions, and HTML href/src. */
export function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  return [
    ...[...text.matchAll(/!?\[(?:[^\][]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g)].map((m) => m[1]),
    // A footnote's definition (`[^1]: text`, GitHub's footnotes) is text, not a link.
    ...[...text.matchAll(/^ {0,3}\[(?!\^)[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]),
    ...[...text.matchAll(/<(?:a|img)\s[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]),
  ];
}

/** The broken links of the documents under `root`: "file: target (why)". */
export function brokenLinks(root: string): string[] {
  const broken: string[] = [];
  const anchorsOf = new Map<string, Set<string>>();
  const anchorsIn = (rel: string): Set<string> => {
    if (!anchorsOf.has(rel)) anchorsOf.set(rel, anchors(fs.readFileSync(path.join(root, rel), 'utf8')));
    return anchorsOf.get(rel)!;
  };
  for (const doc of documents(root)) {
    for (const target of linkTargets(fs.readFileSync(path.join(root, doc), 'utf8'))) {
      if (/^[a-z][\w+.-]*:/i.test(target) || target.startsWith('//')) continue; // https:, mailto:, …: not followed
      const hash = target.indexOf('#');
      const file = decodeURI(hash < 0 ? target : target.slice(0, hash));
      const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const rel = file === '' ? doc : path.posix.normalize(path.posix.join(path.posix.dirname(doc), file));
      if (rel.startsWith('../') || path.posix.isAbsolute(rel)) {
        broken.push(`${doc}: ${target} (outside the repository)`);
      } else if (!fs.existsSync(path.join(root, rel))) {
        broken.push(`${doc}: ${target} (no ${rel})`);
      } else if (anchor !== undefined && rel.endsWith('.md') && !anchorsIn(rel).has(anchor)) {
        broken.push(`${doc}: ${target} (no heading "#${anchor}" in ${rel})`);
      }
    }
  }
  return broken;
}

describe('documentation links', () => {
  it('every relative link and #anchor in README, CONTRIBUTING, CHANGELOG, BENCHMARKS and docs/ resolves', () => {
    const docs = documents(REPO_ROOT);
    assert.ok(docs.includes('README.md') && docs.includes('docs/architecture.md'), docs.join(', '));
    assert.deepEqual(brokenLinks(REPO_ROOT), []);
  });

  it('reports a missing file, a missing heading and a link out of the repository, and follows the rest', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-docs-links-'));
    try {
      fs.mkdirSync(path.join(root, 'docs', 'images'), { recursive: true });
      fs.writeFileSync(path.join(root, 'docs', 'images', 'panel.png'), '');
      fs.writeFileSync(path.join(root, 'docs', 'privacy.md'), '# Privacy and security\n\n## Audio: kept `nowhere`\n\n## Audio: kept `nowhere`\n');
      fs.writeFileSync(path.join(root, 'README.md'), [
        '# Earshot', '![panel](docs/images/panel.png) [privacy](docs/privacy.md#audio-kept-nowhere-1)',
        '[top](#earshot) [site](https://example.com/x.md) [mail](mailto:a@b.c)',
        '`[in a code span](docs/none.md)`', '```', '[in a fence](docs/none.md)', '```',
        '[gone](docs/gone.md) [no heading](docs/privacy.md#audio) [here](#nope) [up](../outside.md)',
        '<img src="docs/images/missing.png">', '[ref]: docs/ref.md', '[^note]: The text of a footnote.',
      ].join('\n'));
      fs.writeFileSync(path.join(root, 'docs', 'deeper.md'), '# Deeper\n[back](../README.md#earshot) [wrong depth](docs/images/panel.png)\n');
      assert.deepEqual(brokenLinks(root), [
        'README.md: docs/gone.md (no docs/gone.md)',
        'README.md: docs/privacy.md#audio (no heading "#audio" in docs/privacy.md)',
        'README.md: #nope (no heading "#nope" in README.md)',
        'README.md: ../outside.md (outside the repository)',
        'README.md: docs/ref.md (no docs/ref.md)',
        'README.md: docs/images/missing.png (no docs/images/missing.png)',
        'docs/deeper.md: docs/images/panel.png (no docs/docs/images/panel.png)',
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("slugs headings as GitHub does: punctuation and code marks dropped, a repeated heading numbered", () => {
    assert.equal(slug('Coding agents (MCP)'), 'coding-agents-mcp');
    assert.equal(slug('Ask your meetings: `@earshot` in the chat, and the Action Items view'), 'ask-your-meetings-earshot-in-the-chat-and-the-action-items-view');
    assert.equal(slug('Remote windows (WSL, SSH, containers, Codespaces)'), 'remote-windows-wsl-ssh-containers-codespaces');
    assert.equal(slug("VS Code agent mode: the meeting tools"), 'vs-code-agent-mode-the-meeting-tools');
    assert.equal(slug('Figures 2 and 3 — the early final'), 'figures-2-and-3--the-early-final');
    assert.equal(slug('`npm run bench` (2026-11-21)'), 'npm-run-bench-2026-11-21');
    assert.deepEqual([...anchors('# A\n## Windows\n### Windows\n```\n# not a heading\n```\n<a id="kept"></a>\n')], ['a', 'windows', 'windows-1', 'kept']);
  });
});
