/**
 * Models imported from the public catalogue keep what Replicate publishes about them: the default
 * example prediction, the weights URL and where they came from; their versions keep the Cog
 * version they were built with.
 */
export const sql = `
ALTER TABLE models ADD COLUMN default_example jsonb;
ALTER TABLE models ADD COLUMN weights_url text;
ALTER TABLE models ADD COLUMN imported_from text;   -- the catalogue page, e.g. https://replicate.com/owner/name
ALTER TABLE versions ADD COLUMN cog_version text;
`;
