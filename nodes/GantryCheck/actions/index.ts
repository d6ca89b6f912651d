import type { INodeProperties } from 'n8n-workflow';

import * as checkModel from './checkModel.operation';
import * as executionCost from './executionCost.operation';

export { checkModel, executionCost };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		default: 'checkModel',
		options: [
			{
				name: 'Check Model (Gantry Only)',
				value: 'checkModel',
				description: 'Test a model with real runs and output the report; waits without polling',
				action: 'Check a model',
			},
			{
				name: 'Execution Cost (Gantry Only)',
				value: 'executionCost',
				description: 'What the predictions of this workflow execution cost',
				action: 'Get the cost of this execution',
			},
		],
	},
	...checkModel.description,
	...executionCost.description,
];
