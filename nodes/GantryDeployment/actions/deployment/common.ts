import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { parseModelRef } from '../../../shared/refs';
import { apiRequest, getBaseUrl, isReplicate } from '../../../shared/transport';


export function deploymentRef(this: IExecuteFunctions, i: number): { owner: string; name: string } {
	return parseModelRef(this.getNodeParameter('deployment', i, '', { extractValue: true }) as string);
}

/**
 * Adds what the deployment has cost so far (Gantry only: `GET /v1/usage?group_by=deployment`).
 * Replicate has no usage API, so there `cost_so_far` is null.
 */
export async function withCost(this: IExecuteFunctions, deployment: IDataObject): Promise<IDataObject> {
	const key = `${deployment.owner}/${deployment.name}`;
	let cost: IDataObject | null = null;
	if (!isReplicate(await getBaseUrl.call(this))) {
		const usage = await apiRequest
			.call(this, 'GET', '/usage', { qs: { group_by: 'deployment' } })
			.catch(() => ({ results: [] }) as IDataObject);
		const row = ((usage.results as IDataObject[]) ?? []).find((entry) => entry.key === key);
		cost = row ? { total_usd: row.total_usd ?? 0, count: row.count ?? 0 } : { total_usd: 0, count: 0 };
	}
	return { ...deployment, instances: deployment.instances ?? null, cost_so_far: cost };
}

export async function patchDeployment(this: IExecuteFunctions, i: number, body: IDataObject): Promise<IDataObject> {
	const { owner, name } = deploymentRef.call(this, i);
	return await apiRequest.call(this, 'PATCH', `/deployments/${owner}/${name}`, { body });
}
