/**
 * Data retention (Replicate's `data_removed`): the sweeper clears input, output and logs of API
 * predictions some time after they finish (GANTRY_DATA_RETENTION) and deletes the files they
 * produced. The partial index keeps finding the next batch cheap however many rows are done.
 */
export const sql = `
ALTER TABLE predictions ADD COLUMN data_removed boolean NOT NULL DEFAULT false;
CREATE INDEX predictions_retention ON predictions (completed_at) WHERE NOT data_removed AND completed_at IS NOT NULL;
CREATE INDEX files_prediction ON files (prediction_id) WHERE prediction_id IS NOT NULL;
`;
