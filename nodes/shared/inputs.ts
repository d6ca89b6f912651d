import type { IDataObject, IExecuteFunctions, ResourceMapperValue } from 'n8n-workflow';
import { jsonParse, NodeOperationError } from 'n8n-workflow';

import { coerceInputs, type InputProperty } from './schema';
import { uploadFile } from './transport';

export interface BinaryInputEntry {
	field: string;
	binaryProperty: string;
}

/** Reads the model input of item `i` from the resource mapper or from raw JSON. */
export function readInput(
	this: IExecuteFunctions,
	i: number,
	properties: InputProperty[],
	prefix = '',
): IDataObject {
	const mode = this.getNodeParameter(`${prefix}inputMode`, i, 'fields') as string;
	if (mode === 'json') {
		const raw = this.getNodeParameter(`${prefix}inputJson`, i, '{}') as string | IDataObject;
		const parsed = typeof raw === 'string' ? jsonParse<IDataObject>(raw || '{}', { errorMessage: 'Input (JSON) is not valid JSON' }) : raw;
		if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
			throw new NodeOperationError(this.getNode(), 'Input (JSON) must be a JSON object', { itemIndex: i });
		}
		return parsed;
	}
	const mapped = this.getNodeParameter(`${prefix}inputs`, i, { value: {} }) as ResourceMapperValue;
	return coerceInputs((mapped?.value ?? {}) as IDataObject, properties);
}

/**
 * Puts binary data into input fields: a data URI when the file is at most `thresholdBytes`
 * (Replicate's guidance is 256 KB), otherwise uploaded through `POST /v1/files`.
 */
export async function attachBinaryInputs(
	this: IExecuteFunctions,
	i: number,
	input: IDataObject,
	entries: BinaryInputEntry[],
	thresholdBytes: number,
): Promise<IDataObject> {
	for (const entry of entries) {
		if (!entry.field) continue;
		const property = entry.binaryProperty || 'data';
		const meta = this.helpers.assertBinaryData(i, property);
		const data = await this.helpers.getBinaryDataBuffer(i, property);
		const mimeType = meta.mimeType || 'application/octet-stream';
		if (data.length <= thresholdBytes) {
			input[entry.field] = `data:${mimeType};base64,${data.toString('base64')}`;
		} else {
			const file = await uploadFile.call(this, data, meta.fileName ?? `${entry.field}`, mimeType);
			const urls = (file.urls ?? {}) as IDataObject;
			if (typeof urls.get !== 'string') {
				throw new NodeOperationError(this.getNode(), 'The files API returned no URL for the upload', { itemIndex: i });
			}
			input[entry.field] = urls.get;
		}
	}
	return input;
}
