/** Cost so far per deployment reads usage records by deployment name. */
export const sql = `
CREATE INDEX IF NOT EXISTS usage_deployment ON usage_records (deployment, created_at) WHERE deployment IS NOT NULL;
`;
