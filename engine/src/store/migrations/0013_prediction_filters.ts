/**
 * Filtered prediction lists (`GET /v1/predictions?model=&deployment=&status=&tag=`): the newest
 * predictions of one model or deployment, and those carrying a tag (jsonb containment, `@>`),
 * without scanning the whole table.
 */
export const sql = `
CREATE INDEX predictions_model_list ON predictions (model, created_at DESC, id DESC) WHERE kind = 'prediction';
CREATE INDEX predictions_deployment_list ON predictions (deployment, created_at DESC, id DESC) WHERE deployment IS NOT NULL;
CREATE INDEX predictions_tags ON predictions USING gin (tags jsonb_path_ops);
`;
