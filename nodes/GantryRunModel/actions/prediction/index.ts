import type { INodeProperties } from 'n8n-workflow';

import * as cancel from './cancel.operation';
import * as get from './get.operation';
import * as importModel from './import.operation';
import * as run from './run.operation';

export const operations = { run, get, cancel, import: importModel };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		default: 'run',
		options: [
			{ name: 'Run', value: 'run', description: 'Run a model and wait for its output, or just start it', action: 'Run a model' },
			{ name: 'Get', value: 'get', description: 'Get a prediction by ID', action: 'Get a prediction' },
			{ name: 'Cancel', value: 'cancel', description: 'Cancel a running prediction', action: 'Cancel a prediction' },
			{
				name: 'Import From Catalogue (Gantry Only)',
				value: 'import',
				description: "Import a model from the engine's public model catalogue so that it can run there",
				action: 'Import a model from the catalogue',
			},
		],
	},
	...run.description,
	...get.description,
	...cancel.description,
	...importModel.description,
];
