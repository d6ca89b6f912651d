/**
 * Cold starts by phase on each instance (runners/boot-phases.ts): fetch_time, boot_time and the
 * model's setup_time in seconds, and where the artifacts came from. `setup_time` keeps meaning
 * the whole boot (the planner reads it as such); the phases split it.
 */
export const sql = `
ALTER TABLE instances ADD COLUMN boot_phases jsonb;
`;
