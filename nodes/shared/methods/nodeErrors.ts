import type { ILoadOptionsFunctions } from 'n8n-workflow';

import { toNodeError } from '../errors';

/**
 * Editor methods (lists, options, input fields) fail with the same clear node errors a run gives
 * ("Not found: …", "Authentication failed: …"), not with raw HTTP errors.
 */
export function withNodeErrors<A extends unknown[], R>(
	method: (this: ILoadOptionsFunctions, ...args: A) => Promise<R>,
): (this: ILoadOptionsFunctions, ...args: A) => Promise<R> {
	return async function (this: ILoadOptionsFunctions, ...args: A): Promise<R> {
		try {
			return await method.apply(this, args);
		} catch (error) {
			throw toNodeError(this.getNode(), error);
		}
	};
}
