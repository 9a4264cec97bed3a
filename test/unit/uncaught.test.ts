import * as assert from 'node:assert/strict';
import { Logger } from '../../daemon/log';
import { EXIT_UNCAUGHT, UncaughtErrors, uncaughtFields } from '../../daemon/rpc/uncaught';

describe('errors nothing caught, as the daemon logs them', () => {
  it('name, code and first stack frame: never the message, nor a thrown value', () => {
    const e = Object.assign(new TypeError('cannot read "the password is swordfish"\n    at fake (line of a transcript)'), { code: 'ERR_SOMETHING' });
    const fields = uncaughtFields(e);
    assert.equal(fields.name, 'TypeError');
    assert.equal(fields.code, 'ERR_SOMETHING');
    assert.match(fields.at!, /uncaught\.test\.js:\d+:\d+\)$/);
    assert.ok(!JSON.stringify(fields).includes('swordfish') && !JSON.stringify(fields).includes('transcript'), JSON.stringify(fields));
    assert.deepEqual(uncaughtFields('the password is swordfish'), { name: 'thrown string' });
    assert.deepEqual(uncaughtFields(null), { name: 'thrown null' });
    // A name or code that is not an identifier is left out; so is a stack that does not start with name and message.
    const odd = Object.assign(new Error('x'), { name: 'the password is swordfish', code: 'secret words' });
    assert.ok(!JSON.stringify(uncaughtFields(odd)).includes('swordfish'));
    assert.equal(uncaughtFields(odd).name, 'Error');
    assert.equal(uncaughtFields(odd).code, undefined);
    const forged = new Error('x');
    forged.stack = 'Error: x\nthe password is swordfish\n    at somewhere (file.js:1:1)';
    assert.equal(uncaughtFields(forged).at, undefined);
  });
});

describe('errors nothing caught: what the daemon does with them (rpc/uncaught.ts)', () => {
  const setup = () => {
    const lines: { event: string; count?: number }[] = [];
    const exits: number[] = [];
    const errors = new UncaughtErrors(new Logger((_, line) => lines.push(JSON.parse(line) as { event: string })), (code) => exits.push(code));
    return { lines, exits, errors };
  };

  it('rejections: counted past the 50 lines logged (one line says so), and the daemon goes on', () => {
    const { lines, exits, errors } = setup();
    for (let i = 0; i < 60; i++) errors.rejection(new TypeError('x'));
    assert.equal(errors.count, 60);
    assert.equal(lines.filter((l) => l.event === 'unhandled_rejection').length, 50);
    assert.deepEqual(lines.slice(50).map((l) => l.event), ['uncaught_no_longer_logged']);
    assert.equal(lines[49].count, 50);
    assert.deepEqual(exits, [], 'no exit');
  });

  it('an exception: logged even past the cap, then the exit (70), once', () => {
    const { lines, exits, errors } = setup();
    for (let i = 0; i < 60; i++) errors.rejection(new TypeError('x'));
    errors.exception(new RangeError('y'));
    errors.exception(new RangeError('z')); // one thrown while the exit waits for the log to be written
    assert.deepEqual(exits, [EXIT_UNCAUGHT]);
    assert.equal(errors.count, 62);
    assert.deepEqual(lines.slice(-2).map((l) => l.event), ['uncaught_exception', 'exiting']);
  });
});
