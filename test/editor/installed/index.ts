/**
 * Entry point of the smoke suite for the packaged extension (test/editor/vsix.ts): the extension host
 * runs it with the VSIX installed and no development copy of Earshot loaded.
 */
import { runMochaIn } from '../suite/index';

export function run(): Promise<void> {
  return runMochaIn(__dirname);
}
