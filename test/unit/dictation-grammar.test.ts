import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaseStyle, dictate, DictationContext, formatCase, planDictation, SPOKEN_FORMS, withoutPendingCommand } from '../../extension/dictation/grammar';
import { REPO_ROOT } from '../setup';

/** [utterance as whisper wrote it, text inserted at a line start (or with `before`)]. */
type Case = [string, string, DictationContext?];

function table(name: string, cases: Case[]): void {
  describe(name, () => {
    for (const [utterance, expected, context] of cases) {
      const where = context ? ` after ${JSON.stringify(context.before ?? '')}${context.capitalize !== undefined ? ` capitalize=${context.capitalize}` : ''}` : '';
      it(`${JSON.stringify(utterance)}${where} → ${JSON.stringify(expected)}`, () => {
        assert.deepEqual(dictate(utterance, context), expected === '' ? [] : [{ kind: 'insert', text: expected }]);
      });
    }
  });
}

describe('dictation grammar', () => {
  table('each punctuation word', [
    ['hello comma world', 'Hello, world'],
    ['hello period', 'Hello.'],
    ['hello full stop', 'Hello.'],
    ['is it question mark', 'Is it?'],
    ['wow exclamation mark', 'Wow!'],
    ['wow exclamation point', 'Wow!'],
    ['note colon read this', 'Note: read this'],
    ['one semicolon two', 'One; two'],
    ['one semi colon two', 'One; two'],
    ['one semi-colon two', 'One; two'],
    ['well hyphen known', 'Well-known'],
    ['yes dash no', 'Yes - no'],
    ['wait em dash what', 'Wait—what'],
    ['first new line second', 'First\nSecond'],
    ['first newline second', 'First\nSecond'],
    ['first new paragraph second', 'First\n\nSecond'],
    ['call open paren x close paren', 'Call (x)'],
    ['call open parenthesis x close parenthesis', 'Call (x)'],
    ['call left paren x right paren', 'Call (x)'],
    ['list open bracket one close bracket', 'List [one]'],
    ['list open square bracket one close square bracket', 'List [one]'],
    ['block open brace body close brace', 'Block {body}'],
    ['block open curly brace body close curly brace', 'Block {body}'],
    ['john apostrophe s book', "John's book"],
  ]);

  table('spacing and capitalization', [
    ['hello comma world period how are you question mark', 'Hello, world. How are you?'],
    ['stop exclamation mark go', 'Stop! Go'],
    ['one period period two', 'One.. Two'],
    ['comma', ','],
    ['period', '.'],
    ['period', '.', { before: 'It works' }],
    ['and more', ' and more', { before: 'It works' }],
    ['and more', 'and more', { before: 'It works ' }],
    ['next one', ' Next one', { before: 'It works.' }],
    ['next one', 'Next one', { before: 'It works. ' }],
    ['next one', ' Next one', { before: 'Really?' }],
    ['next one', ' Next one', { before: 'He said "stop."' }],
    ['next one', ' Next one', { before: 'Done (really).' }],
    ['next one', 'Next one', { before: '    ' }],
    ['next one', 'Next one', { before: '// ' }],
    ['next one', 'Next one', { before: '# ' }],
    ['next one', 'Next one', { before: ' * ' }],
    ['next one', 'Next one', { before: '- ' }],
    ['next one', 'Next one', { before: '1. ' }],
    ['next one', 'next one', { before: 'const a = 1; // ' }],
    ['inside', 'inside', { before: 'f(' }],
    ['inside', 'inside', { before: 'list [' }],
    ['inside', 'inside', { before: 'He said "' }],
    ['after', ' after', { before: 'He said "hi"' }],
    ['more text', ' More text', { capitalize: true, before: 'and' }],
    ['more text', 'more text', { capitalize: false }],
    ['x new line y', ' x\nY', { before: 'a' }],
    ['new line', '\n', { before: 'abc' }],
    ['new paragraph hello', '\n\nHello', { before: 'abc.' }],
    ['hello new line', 'Hello\n'],
    ['new line new line', '\n\n'],
  ]);

  table('whisper punctuation and capitals', [
    ['Hello, world.', 'Hello, world.'],
    [' Hello, world.', 'Hello, world.'],
    ['Hello, comma, world.', 'Hello, world.'],
    ['Hello comma, world period.', 'Hello, world.'],
    ['Hello, comma world, period.', 'Hello, world.'],
    ['Hello world. Period.', 'Hello world.'],
    ['Period.', '.'],
    ['Is it? Question mark?', 'Is it?'],
    ['Is it question, mark.', 'Is it?'],
    ['Wow, exclamation point!', 'Wow!'],
    ['Note, colon. Read this.', 'Note: read this.'],
    ['Then we go.', ' then we go.', { before: 'Since it works,' }],
    ['Then we go.', 'Then we go.', { before: 'It works. ' }],
    ['I think so.', ' I think so.', { before: 'and' }],
    ["I'm sure.", " I'm sure.", { before: 'and' }],
    ['HTTP is fine.', ' HTTP is fine.', { before: 'and' }],
    ['iPhone sales.', ' iPhone sales.', { before: 'and' }],
    ['A cat.', ' a cat.', { before: 'and' }],
    ['It works. Then it stops.', ' it works. Then it stops.', { before: 'and' }],
    ['Hello world. New paragraph. Next thing.', 'Hello world.\n\nNext thing.'],
    ['Hello world, new line, next thing.', 'Hello world\nNext thing.'],
    ['Hello world. New line. Next.', 'Hello world.\nNext.'],
    ['Call, open paren, x, close paren.', 'Call (x)'],
    ['He said, quote, hello, end quote.', 'He said "hello"'],
    ['He said, quote. Hello. End quote.', 'He said "hello"'],
    ['Open paren. Maybe. Close paren.', '(Maybe)'],
    ['Wait, open paren. Maybe. Close paren.', ' wait (maybe)', { before: 'x' }],
    ['It costs $5 today.', 'It costs $5 today.'],
    ['Open auth.ts at 10:30, version 3.14.', 'Open auth.ts at 10:30, version 3.14.'],
    ["Don't stop.", "Don't stop."],
    ['Wait...', 'Wait...'],
    ['NEW LINE', '\n', { before: 'abc' }],
    ['New-line.', '\n', { before: 'abc' }],
  ]);

  table('mixed', [
    ['Dear Sam comma new paragraph thanks for the notes period see you Monday exclamation mark', 'Dear Sam,\n\nThanks for the notes. See you Monday!'],
    ['set the value to camel case max retries period', 'Set the value to maxRetries.'],
    ['call snake case parse config open paren close paren', 'Call parse_config ()'],
    ['todo colon rename camel case foo bar', 'Todo: rename fooBar'],
  ]);

  table('quotes and brackets pairing', [
    ['he said quote hello quote', 'He said "hello"'],
    ['quote hello quote period', '"Hello".'],
    ['open quote hi close quote', '"Hi"'],
    ['begin quote hi unquote', '"Hi"'],
    ['quote a quote and quote b quote', '"A" and "b"'],
    ['end quote and more', '" and more', { before: 'He said "hi' }],
    ['quote and more', '" and more', { before: 'He said "hi' }],
    ['quote hello', ' "hello', { before: 'He said' }],
    ['quote hello quote', ' "hello"', { before: 'and "x" and' }],
    ['open paren quote hi quote close paren', '("Hi")'],
    ['open paren new close paren', '(New)'],
    ['open paren new close paren', ' (new)', { before: 'a' }],
    ['open paren open bracket x close bracket close paren', '([X])'],
    ['close paren', ')', { before: 'f(x' }],
    ['open brace', ' {', { before: 'if (x)' }],
    ['He said "hello" to me.', 'He said "hello" to me.'],
    ['quote', '"', { before: 'He said "hi' }],
  ]);

  table('case commands', [
    ['camel case foo bar', 'fooBar'],
    ['camel case parse config', 'parseConfig'],
    ['pascal case parse config', 'ParseConfig'],
    ['snake case parse config', 'parse_config'],
    ['constant case parse config', 'PARSE_CONFIG'],
    ['kebab case parse config', 'parse-config'],
    ['snake case foo bar', 'foo_bar'],
    ['pascal case foo bar', 'FooBar'],
    ['constant case foo bar', 'FOO_BAR'],
    ['kebab case foo bar', 'foo-bar'],
    ['camel case parse HTTP request', 'parseHttpRequest'],
    ['pascal case HTTP server', 'HttpServer'],
    ['snake case parse HTTP request', 'parse_http_request'],
    ['constant case max HTTP retries', 'MAX_HTTP_RETRIES'],
    ['kebab case my API key', 'my-api-key'],
    ['camel case parseHTTPRequest', 'parseHttpRequest'],
    ['snake case parseConfig value', 'parse_config_value'],
    ['camel case version 2 parser', 'version2Parser'],
    ['snake case version 2 parser', 'version_2_parser'],
    ['constant case retry 3 times', 'RETRY_3_TIMES'],
    ['camel case utf8 decoder', 'utf8Decoder'],
    ['kebab case 1,000 items', '1000-items'],
    ['Camel case, foo bar.', 'fooBar'],
    ['Camel case. Parse, HTTP. Request!', 'parseHttpRequest'],
    ['CamelCase foo bar', 'fooBar'],
    ['camel-case foo bar', 'fooBar'],
    ['snake case "foo" $bar', 'foo_bar'],
    ["snake case don't stop", 'dont_stop'],
    ['snake case auth.ts', 'auth_ts'],
    ['camel case foo bar comma baz', 'fooBar, baz'],
    ['camel case foo bar period next', 'fooBar. Next'],
    ['camel case foo new line bar', 'foo\nBar'],
    ['camel case foo close paren', 'foo)'],
    ['camel case foo snake case bar baz', 'foo bar_baz'],
    ['camel case foo', ' foo', { before: 'let' }],
    ['camel case foo', ' foo', { before: 'It works.' }],
    ['camel case foo bar', 'fooBar', { before: 'x = f(' }],
    ['snake case literal comma count', 'comma_count'],
    ['camel case literal camel case', 'camelCase'],
    ['camel case größe wert', 'größeWert'],
    ['constant case größe wert', 'GRÖSSE_WERT'],
    ['We use camel case.', 'We use camel case.'],
    ['camel case', 'Camel case'],
    ['use snake case period', 'Use snake case.'],
  ]);

  table('literal escapes', [
    ['literal comma', 'Comma'],
    ['a literal comma here', 'A comma here'],
    ['the literal period of time', 'The period of time'],
    ['Literal, Period.', 'Period.'],
    ['literal new line please', 'New line please'],
    ['literal scratch that', 'Scratch that'],
    ['literal undo that', 'Undo that'],
    ['literal quote', 'Quote'],
    ['literal literal', 'Literal'],
    ['a literal translation', 'A literal translation'],
    ['literal', 'Literal'],
    ['say literal camel case please', 'Say camel case please'],
    ['literal open paren', 'Open paren'],
  ]);

  table('empty, whitespace and non-English', [
    ['', ''],
    ['   ', ''],
    ['\n\t', ''],
    ['...', '...'],
    ['größe comma übung period', 'Größe, übung.'],
    ['élan vital', 'Élan vital'],
    ['это тест period', 'Это тест.'],
    ['東京 comma 大阪', '東京, 大阪'],
    ['naïve café', ' naïve café', { before: 'a' }],
    ['Ça va.', ' ça va.', { before: 'et' }],
  ]);

  describe('scratch that / undo that', () => {
    const cases: [string, ({ kind: 'undo' } | { kind: 'insert'; text: string })[]][] = [
      ['scratch that', [{ kind: 'undo' }]],
      ['undo that', [{ kind: 'undo' }]],
      ['Scratch that.', [{ kind: 'undo' }]],
      ['Undo that!', [{ kind: 'undo' }]],
      ['scratch that scratch that', [{ kind: 'undo' }, { kind: 'undo' }]],
      ['hello world scratch that', []],
      ['Hello world, scratch that.', []],
      ['hello scratch that goodbye', [{ kind: 'insert', text: 'Goodbye' }]],
      ['scratch that hello', [{ kind: 'undo' }, { kind: 'insert', text: 'Hello' }]],
      ['hello scratch that scratch that', [{ kind: 'undo' }]],
      ['camel case foo bar scratch that', []],
      ['hello period scratch that new one', [{ kind: 'insert', text: 'New one' }]],
    ];
    for (const [utterance, expected] of cases) {
      it(`${JSON.stringify(utterance)} → ${JSON.stringify(expected)}`, () => assert.deepEqual(dictate(utterance), expected));
    }

    it('a plan renders after the undo, for the text then before the cursor', () => {
      const plan = planDictation('scratch that next thing');
      assert.equal(plan.undo, 1);
      assert.equal(plan.empty, false);
      assert.equal(plan.render({ before: 'It works.' }), ' Next thing');
      assert.equal(plan.render({ before: 'and' }), ' next thing');
    });

    it('one plan renders for several cursors', () => {
      const plan = planDictation('Hello comma world');
      assert.deepEqual(['', 'x', 'f(', 'Done. '].map((before) => plan.render({ before })), ['Hello, world', ' hello, world', 'hello, world', 'Hello, world']);
    });

    it('an empty plan', () => {
      const plan = planDictation('  ');
      assert.equal(plan.undo, 0);
      assert.equal(plan.empty, true);
      assert.equal(plan.render(), '');
    });
  });

  describe('formatCase', () => {
    const cases: [string[], CaseStyle, string][] = [
      [['foo', 'bar', 'baz'], 'camel', 'fooBarBaz'],
      [['Foo', 'BAR'], 'camel', 'fooBar'],
      [['XMLHttpRequest'], 'snake', 'xml_http_request'],
      [['HTTP2Server'], 'kebab', 'http2-server'],
      [['snake_case_word'], 'camel', 'snakeCaseWord'],
      [['kebab-case-word'], 'pascal', 'KebabCaseWord'],
      [['a'], 'constant', 'A'],
      [[], 'camel', ''],
      [['!!'], 'snake', ''],
    ];
    for (const [words, style, expected] of cases) {
      it(`${style} ${JSON.stringify(words)} → ${JSON.stringify(expected)}`, () => assert.equal(formatCase(words, style), expected));
    }
  });

  it('GRAMMAR.md lists every spoken form', () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'extension', 'dictation', 'GRAMMAR.md'), 'utf8').toLowerCase();
    const missing = SPOKEN_FORMS.filter((form) => !doc.includes(`"${form}"`));
    assert.deepEqual(missing, []);
  });
});

describe('dictation: a partial\'s ghost text holds back a command still being spoken', () => {
  it('drops a beginning of a spoken form and a case command with nothing after it yet, keeps the rest', () => {
    assert.equal(withoutPendingCommand('hello comma world period camel'), 'hello comma world period');
    assert.equal(withoutPendingCommand('hello comma world period camel case'), 'hello comma world period');
    assert.equal(withoutPendingCommand('she said open'), 'she said');
    assert.equal(withoutPendingCommand('camel case parse config'), 'camel case parse config');
    assert.equal(withoutPendingCommand('hello world'), 'hello world');
    assert.equal(withoutPendingCommand('Camel.'), '');
  });
});
