import type { INodeProperties } from 'n8n-workflow';

import * as create from './create.operation';
import * as deleteDeployment from './deleteDeployment.operation';
import * as get from './get.operation';
import * as getMany from './getMany.operation';
import * as scaleToZero from './scaleToZero.operation';
import * as update from './update.operation';

export const operations = { create, get, getMany, update, scaleToZero, delete: deleteDeployment };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		default: 'get',
		options: [
			{ name: 'Create', value: 'create', description: 'Create a deployment', action: 'Create a deployment' },
			{ name: 'Delete', value: 'delete', description: 'Delete a deployment', action: 'Delete a deployment' },
			{ name: 'Get', value: 'get', description: 'Get a deployment with its cost so far', action: 'Get a deployment' },
			{ name: 'Get Many', value: 'getMany', description: 'List deployments', action: 'Get many deployments' },
			{
				name: 'Scale to Zero',
				value: 'scaleToZero',
				description: 'Set min instances to 0 (optionally max too)',
				action: 'Scale a deployment to zero',
			},
			{ name: 'Update', value: 'update', description: 'Change version, hardware or instance counts', action: 'Update a deployment' },
		],
	},
	...get.locatorDescription,
	...create.description,
	...getMany.description,
	...update.description,
	...scaleToZero.description,
];
