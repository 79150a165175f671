import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding package.json, templates/ and config/, wherever Herald is run from. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
