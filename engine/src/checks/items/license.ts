/** license: the model's licence, and whether it clearly allows commercial use. */
import { readLicence } from '../license';
import type { ReportItem } from '../types';
import { item, type ReportInput } from './common';

export function licenseItem(input: ReportInput): ReportItem {
  const url = input.model.license_url;
  const reading = readLicence(url);
  const figures = { license_url: url, source: input.model.license_source, name: reading.name, commercial_use: reading.commercial_use, note: reading.note };
  if (!url) return item('license', 'warn', 'The model states no licence (neither here nor in the public catalogue): find out before using it commercially.', figures);
  const named = reading.name ?? url;
  if (reading.commercial_use === 'yes') return item('license', 'pass', `${named}: commercial use allowed (${reading.note}).`, figures);
  if (reading.commercial_use === 'no') return item('license', 'warn', `${named}: ${reading.note}.`, figures);
  if (reading.commercial_use === 'conditional') return item('license', 'warn', `${named}: ${reading.note}; read the terms.`, figures);
  return item('license', 'warn', `${url}: ${reading.note}.`, figures);
}
