import type { INodeProperties } from 'n8n-workflow';

import { MODEL_REF_REGEX, MODEL_URL_REGEX } from './refs';

export const modelLocator = (
	overrides: Partial<INodeProperties> = {},
	displayName = 'Model',
): INodeProperties => ({
	displayName,
	name: 'model',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	required: true,
	description: 'The model to run',
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			typeOptions: { searchListMethod: 'searchModels', searchable: true, searchFilterRequired: false },
		},
		{
			displayName: 'By Name',
			name: 'id',
			type: 'string',
			placeholder: 'owner/name',
			validation: [{ type: 'regex', properties: { regex: MODEL_REF_REGEX, errorMessage: 'Use owner/name' } }],
		},
		{
			displayName: 'By URL',
			name: 'url',
			type: 'string',
			placeholder: 'https://replicate.com/owner/name',
			validation: [{ type: 'regex', properties: { regex: MODEL_URL_REGEX, errorMessage: 'Not a model URL' } }],
			extractValue: { type: 'regex', regex: '^https?://[^/]+/(?:v1/)?(?:models/)?([^/?#]+/[^/?#:]+)' },
		},
	],
	...overrides,
});

export const deploymentLocator = (overrides: Partial<INodeProperties> = {}): INodeProperties => ({
	displayName: 'Deployment',
	name: 'deployment',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	required: true,
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			typeOptions: { searchListMethod: 'searchDeployments', searchable: true },
		},
		{
			displayName: 'By Name',
			name: 'id',
			type: 'string',
			placeholder: 'owner/name',
			validation: [{ type: 'regex', properties: { regex: MODEL_REF_REGEX, errorMessage: 'Use owner/name' } }],
		},
	],
	...overrides,
});

export const versionField = (overrides: Partial<INodeProperties> = {}): INodeProperties => ({
	displayName: 'Version Name or ID',
	name: 'version',
	type: 'options',
	default: '',
	description:
		'Latest runs the newest version; pinning a version ID is the stable choice for production. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	typeOptions: { loadOptionsMethod: 'getVersions', loadOptionsDependsOn: ['model.value'] },
	...overrides,
});

/** Input fields generated from the version's OpenAPI schema, or raw JSON. */
export const inputFields = (mapperMethod: string, label = 'Input'): INodeProperties[] => [
	{
		displayName: `${label} Mode`,
		name: 'inputMode',
		type: 'options',
		noDataExpression: true,
		default: 'fields',
		options: [
			{ name: 'Fields From Schema', value: 'fields', description: "Fields generated from the version's OpenAPI schema" },
			{ name: 'JSON', value: 'json', description: 'Write the input object yourself' },
		],
	},
	{
		displayName: label,
		name: 'inputs',
		type: 'resourceMapper',
		noDataExpression: true,
		default: { mappingMode: 'defineBelow', value: null },
		required: true,
		typeOptions: {
			loadOptionsDependsOn: ['model.value', 'version', 'deployment.value', 'source'],
			resourceMapper: {
				resourceMapperMethod: mapperMethod,
				mode: 'add',
				fieldWords: { singular: 'input', plural: 'inputs' },
				addAllFields: false,
				multiKeyMatch: false,
				supportAutoMap: false,
			},
		},
		displayOptions: { show: { inputMode: ['fields'] } },
	},
	{
		displayName: `${label} (JSON)`,
		name: 'inputJson',
		type: 'json',
		default: '{}',
		description: 'The input object sent to the model, e.g. {"prompt": "a cat"}',
		displayOptions: { show: { inputMode: ['json'] } },
	},
	{
		displayName: 'Binary Inputs',
		name: 'binaryInputs',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Binary Input',
		default: {},
		description:
			'Send n8n binary data as a file input: as a data URI when small, uploaded through the files API when large',
		options: [
			{
				name: 'values',
				displayName: 'Binary Input',
				values: [
					{ displayName: 'Input Field', name: 'field', type: 'string', default: '', placeholder: 'image' },
					{ displayName: 'Binary Property', name: 'binaryProperty', type: 'string', default: 'data' },
				],
			},
		],
	},
];

export const waitTimeoutOption: INodeProperties = {
	displayName: 'Timeout (Seconds)',
	name: 'timeout',
	type: 'number',
	typeOptions: { minValue: 1 },
	default: 300,
	description: 'How long to wait for the result before giving up',
};

export const downloadOptions: INodeProperties[] = [
	{
		displayName: 'Download File Outputs',
		name: 'downloadFiles',
		type: 'boolean',
		default: true,
		description: 'Whether to download file outputs (URLs in the output schema) into binary properties',
	},
	{
		displayName: 'Binary Property Prefix',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'output',
		description: 'Name of the binary property for a single file; several files get _0, _1 … suffixes',
	},
];

/** A hardware SKU from `GET /v1/hardware`. */
export const hardwareField = (overrides: Partial<INodeProperties> = {}): INodeProperties => ({
	displayName: 'Hardware Name or ID',
	name: 'hardware',
	type: 'options',
	typeOptions: { loadOptionsMethod: 'getHardware' },
	default: '',
	description:
		'Hardware SKU from GET /v1/hardware. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	...overrides,
});
