import * as assert from 'node:assert/strict';
import { uncaughtFields } from '../../daemon/rpc/uncaught';

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
