/** version_stability: pinned or latest, the versions there are, and the schema changes to the latest. */
import { inputSchemaChanges } from '../schema-diff';
import type { ReportItem } from '../types';
import { item, type ReportInput } from './common';

export function versionStabilityItem(input: ReportInput): ReportItem {
  const { versions, latest_version: latest } = input.model;
  const checked = input.checked.version;
  const pinned = input.request.pinned_version !== null;
  const latestRow = versions.find((v) => v.id === latest);
  const changes = latestRow && latest !== checked ? inputSchemaChanges(input.model.checked_schema, latestRow.input_schema) : [];
  const figures = {
    pinned,
    checked_version: checked,
    latest_version: latest,
    checked_is_latest: checked === latest,
    versions: versions.length,
    latest_created_at: latestRow?.created_at ?? null,
    schema_changes_to_latest: changes,
  };
  const changed = latestRow ? `; the latest version dates from ${latestRow.created_at}` : '';
  if (pinned) {
    if (checked === latest) return item('version_stability', 'pass', `Pinned to the latest of ${versions.length} version(s)${changed}.`, figures);
    const diff = changes.length ? `${changes.length} input change(s) to the latest` : 'no input changes to the latest';
    return item('version_stability', 'pass', `Pinned to an older version (${versions.length} exist, ${diff})${changed}.`, figures);
  }
  if (versions.length > 1) {
    return item('version_stability', 'warn', `Not pinned: "${input.checked.model}" runs whichever of its ${versions.length} versions is latest${changed}; pin owner/name:version in production.`, figures);
  }
  return item('version_stability', 'pass', `Not pinned, but the model has one version${changed}; pin owner/name:version so a new one cannot change it unnoticed.`, figures);
}
