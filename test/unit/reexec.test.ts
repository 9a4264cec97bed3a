import * as assert from 'node:assert/strict';
import { DAEMON_ALLOCATOR_ENV, DAEMON_NODE_FLAGS } from '../../protocol/allocator';
import { needsMemoryReexec, REEXEC_ENV } from '../../daemon/reexec';

describe('CLI memory settings (re-exec)', () => {
  const withSettings = { ...DAEMON_ALLOCATOR_ENV, NODE_OPTIONS: DAEMON_NODE_FLAGS.join(' ') };
  const posix = process.platform !== 'win32';

  it('starts transcribe and listen again when the settings are missing', () => {
    for (const command of ['transcribe', 'listen']) {
      assert.equal(needsMemoryReexec([command, 'x.wav'], {}, []), posix, command);
      assert.equal(needsMemoryReexec(['--verbose', command], {}, []), posix, `--verbose ${command}`);
    }
    assert.equal(needsMemoryReexec(['transcribe'], { ...DAEMON_ALLOCATOR_ENV }, []), posix, 'the node flag is missing');
    assert.equal(needsMemoryReexec(['transcribe'], {}, DAEMON_NODE_FLAGS), posix, 'the allocator setting is missing');
  });

  it('runs in-process when the settings are there (as node flags or NODE_OPTIONS), in the child, or for other commands', () => {
    assert.equal(needsMemoryReexec(['transcribe'], withSettings, []), false);
    assert.equal(needsMemoryReexec(['listen'], { ...DAEMON_ALLOCATOR_ENV }, DAEMON_NODE_FLAGS), false);
    assert.equal(needsMemoryReexec(['transcribe'], { [REEXEC_ENV]: '123' }, []), false, 'never a third process');
    for (const command of ['daemon', 'models', 'build-info', 'notes', '--help']) assert.equal(needsMemoryReexec([command], {}, []), false, command);
    assert.equal(needsMemoryReexec([], {}, []), false);
  });
});
