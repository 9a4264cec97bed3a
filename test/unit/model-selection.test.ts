import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sameModelAs } from '../../daemon/models/whisperCatalog';
import { defaultCacheDir } from '../../daemon/models/modelCache';
import { selectModel } from '../../daemon/models/whisperModels';

describe('Model selection with a full-precision twin already downloaded (selectModel)', () => {
  let storage: string;
  beforeEach(() => { storage = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-select-')); });
  afterEach(() => fs.rmSync(storage, { recursive: true, force: true }));

  /** A file of the model's published size (sparse: selection looks at sizes; loading verifies the hash). */
  const place = (file: string, bytes: number) => {
    const dir = defaultCacheDir(storage);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, file), '');
    fs.truncateSync(path.join(dir, file), bytes);
  };

  it('keeps the downloaded f16 model rather than asking for its 8-bit version, until that is downloaded too', async function () {
    const fresh = await selectModel({ storageDir: storage, language: 'en' });
    // Detection picks 8-bit weights on machines that decode on the CPU (every CI machine); a GPU machine has nothing to test here.
    if (fresh.model?.quantization !== 'q8_0') this.skip();
    const eightBit = fresh.model!;
    const twin = sameModelAs(eightBit, 'f16')!;
    assert.equal(fresh.recommendedId, eightBit.id);

    place(twin.file, twin.bytes - 1); // a partial download is not a model
    assert.equal((await selectModel({ storageDir: storage, language: 'en' })).model?.id, eightBit.id);

    place(twin.file, twin.bytes);
    const kept = await selectModel({ storageDir: storage, language: 'en' });
    assert.equal(kept.model?.id, twin.id);
    assert.equal(kept.recommendedId, twin.id);
    assert.equal(kept.path, path.join(defaultCacheDir(storage), twin.file));
    assert.match(kept.reason, new RegExp(`${twin.id.replace('.', '\\.')} is already downloaded \\(${eightBit.id.replace('.', '\\.')} would be its faster 8-bit version\\)`));

    // A choice in the settings is the user's: no substitution.
    assert.equal((await selectModel({ storageDir: storage, language: 'en', modelId: eightBit.id })).model?.id, eightBit.id);

    place(eightBit.file, eightBit.bytes);
    assert.equal((await selectModel({ storageDir: storage, language: 'en' })).model?.id, eightBit.id);
  });
});
