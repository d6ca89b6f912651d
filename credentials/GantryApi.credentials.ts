import type {
	IAuthenticateGeneric,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class GantryApi implements ICredentialType {
	name = 'gantryApi';

	displayName = 'Gantry API';

	icon: Icon = { light: 'file:../icons/gantry.svg', dark: 'file:../icons/gantry.dark.svg' };

	documentationUrl = 'https://github.com/gantry-dev/gantry#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'http://127.0.0.1:8787',
			required: true,
			description:
				'Where the API lives: a Gantry engine (e.g. http://127.0.0.1:8787) or Replicate itself (https://api.replicate.com). A trailing /v1 is ignored.',
		},
		{
			displayName: 'API Token',
			name: 'apiToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'A Gantry API token, or a Replicate token (r8_…) when the base URL is Replicate',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.apiToken}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "").replace(/\\/v1$/, "")}}',
			url: '/v1/account',
			method: 'GET',
		},
	};
}
