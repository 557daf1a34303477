import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// Every example in examples/ runs against its own throwaway realm and must keep working.

for (const name of ['demo', 'undici', 'axios', 'got', 'ky']) {
  test(`examples/${name}.ts runs to completion`, async () => {
    const file = fileURLToPath(new URL(`../../examples/${name}.js`, import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [file], { timeout: 60_000 });
    assert.match(stdout, /user@HTTPGSSAPI\.TEST/);
  });
}
