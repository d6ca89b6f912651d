import type { INodeProperties } from 'n8n-workflow';

/** The "Options" of Run Model besides timeout and downloads. */
export const runOptions: INodeProperties[] = [
	{
		displayName: 'Import From Catalogue (Gantry Only)',
		name: 'importFromCatalogue',
		type: 'boolean',
		default: false,
		description:
			"Whether to import the model from Gantry's public model catalogue first when the engine does not have it yet (models marked \"catalogue — not imported\" in the list). Gantry only: ignored with Replicate.",
	},
	{
		displayName: 'Poll Interval (Seconds)',
		name: 'pollInterval',
		type: 'number',
		typeOptions: { minValue: 0.2 },
		default: 1,
		description: 'How often to check the prediction after the initial Prefer: wait',
	},
	{
		displayName: 'Cancel After',
		name: 'cancelAfter',
		type: 'string',
		default: '',
		placeholder: '5m',
		description: 'Deadline sent as the Cancel-After header (e.g. 30s, 5m, 1h30m); the server cancels the prediction after it',
	},
	{
		displayName: 'Retries',
		name: 'retries',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 10 },
		default: 0,
		description: 'How many times to run again when the prediction fails or the API is temporarily unavailable',
	},
	{
		displayName: 'Retry Delay (Seconds)',
		name: 'retryDelay',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 2,
		description: 'First delay between retries; it doubles after each attempt',
	},
	{
		displayName: 'Fallback Model',
		name: 'fallbackModel',
		type: 'string',
		default: '',
		placeholder: 'owner/name or owner/name:version',
		description: 'Run this model with the same input when the first one fails or times out (after its retries)',
	},
	{
		displayName: 'Tags',
		name: 'tags',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add Tag',
		description:
			'Gantry only: tags stored with the prediction (the workflow ID, execution ID and node name are added automatically) so cost can be grouped by them. Not sent to Replicate.',
		options: [
			{
				name: 'tag',
				displayName: 'Tag',
				values: [
					{ displayName: 'Key', name: 'key', type: 'string', default: '' },
					{ displayName: 'Value', name: 'value', type: 'string', default: '' },
				],
			},
		],
	},
	{
		displayName: 'Upload Threshold (KB)',
		name: 'uploadThresholdKb',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 256,
		description: 'Binary inputs up to this size are sent inline as data URIs; larger ones are uploaded through the files API',
	},
	{
		displayName: 'Webhook URL',
		name: 'webhookUrl',
		type: 'string',
		default: '',
		description: 'Your own URL for completion webhooks (overrides the Await Prediction resume URL)',
	},
];
