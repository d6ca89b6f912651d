// Must be imported before n8n-core: n8n writes its instance settings under N8N_USER_FOLDER.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

if (!process.env.N8N_USER_FOLDER?.includes('gantry-n8n-')) {
  process.env.N8N_USER_FOLDER = mkdtempSync(join(tmpdir(), 'gantry-n8n-'));
}
process.env.N8N_ENCRYPTION_KEY ??= 'gantry-test-encryption-key';
process.env.N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS ??= 'false';
