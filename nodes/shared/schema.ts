import type { FieldType, IDataObject, ResourceMapperField } from 'n8n-workflow';

import type { OpenApiSchema, VersionObject } from './types';

type Schemas = Record<string, OpenApiSchema>;

function schemasOf(version: VersionObject | undefined): Schemas {
	return (version?.openapi_schema?.components?.schemas ?? {}) as Schemas;
}

/** Follows `$ref` and single-element `allOf`/`anyOf` (how Cog encodes enums) to a concrete schema. */
export function resolve(schema: OpenApiSchema | undefined, schemas: Schemas, depth = 0): OpenApiSchema {
	if (!schema || depth > 8) return schema ?? {};
	if (schema.$ref) {
		const name = schema.$ref.split('/').pop() ?? '';
		const { $ref: _ref, ...rest } = schema;
		return { ...resolve(schemas[name], schemas, depth + 1), ...rest };
	}
	const combined = schema.allOf ?? schema.anyOf;
	if (combined && combined.length >= 1) {
		const concrete = combined.map((part) => resolve(part, schemas, depth + 1)).find((part) => part.type !== 'null');
		const { allOf: _a, anyOf: _b, ...rest } = schema;
		return { ...(concrete ?? {}), ...rest };
	}
	return schema;
}

export interface InputProperty {
	name: string;
	schema: OpenApiSchema;
	required: boolean;
}

/** The properties of `Input` (or `TrainingInput`) in form order (`x-order`). */
export function inputProperties(version: VersionObject | undefined, schemaName = 'Input'): InputProperty[] {
	const schemas = schemasOf(version);
	const root = resolve(schemas[schemaName], schemas);
	const required = new Set(root.required ?? []);
	return Object.entries(root.properties ?? {})
		.map(([name, raw]) => ({ name, schema: resolve(raw, schemas), required: required.has(name) }))
		.sort((a, b) => (a.schema['x-order'] ?? 1e6) - (b.schema['x-order'] ?? 1e6));
}

export function outputSchema(version: VersionObject | undefined, schemaName = 'Output'): OpenApiSchema | undefined {
	const schemas = schemasOf(version);
	return schemas[schemaName] ? resolve(schemas[schemaName], schemas) : undefined;
}

function fieldType(schema: OpenApiSchema): FieldType {
	if (schema.enum && schema.enum.length > 0) return 'options';
	switch (schema.type) {
		case 'integer':
		case 'number':
			return 'number';
		case 'boolean':
			return 'boolean';
		case 'array':
			return 'array';
		case 'object':
			return 'object';
		default:
			return 'string';
	}
}

function label(property: InputProperty): string {
	const title = property.schema.title ?? property.name;
	const hints: string[] = [];
	if (property.schema.format === 'uri') hints.push('file URL or data URI');
	const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = property.schema;
	if ([minimum, maximum, exclusiveMinimum, exclusiveMaximum].some((bound) => typeof bound === 'number')) {
		// Exclusive bounds (JSON Schema 2020: numbers) read as "> 0" / "< 1".
		const low = typeof exclusiveMinimum === 'number' ? `> ${exclusiveMinimum}` : (minimum ?? '…');
		const high = typeof exclusiveMaximum === 'number' ? `< ${exclusiveMaximum}` : (maximum ?? '…');
		hints.push(`${low}–${high}`);
	}
	const description = property.schema.description ? ` — ${property.schema.description}` : '';
	return `${title}${hints.length ? ` (${hints.join(', ')})` : ''}${description}`.slice(0, 200);
}

/** Resource-mapper fields: typed, required marks, defaults, enums as options, descriptions in the label. */
export function toMapperFields(properties: InputProperty[]): ResourceMapperField[] {
	return properties.map((property) => {
		const type = fieldType(property.schema);
		const def = property.schema.default;
		return {
			id: property.name,
			displayName: label(property),
			required: property.required,
			defaultMatch: false,
			display: true,
			type,
			defaultValue:
				def === undefined || def === null
					? undefined
					: typeof def === 'object'
						? JSON.stringify(def)
						: (def as string | number | boolean),
			options:
				type === 'options'
					? (property.schema.enum ?? []).map((value) => ({ name: String(value), value: value as string }))
					: undefined,
		};
	});
}

/** Converts mapper values to what the schema wants and drops empty ones so server defaults apply. */
export function coerceInputs(values: IDataObject, properties: InputProperty[]): IDataObject {
	const byName = new Map(properties.map((property) => [property.name, property.schema]));
	const result: IDataObject = {};
	for (const [name, raw] of Object.entries(values)) {
		if (raw === undefined || raw === null || raw === '') continue;
		const schema = byName.get(name);
		result[name] = schema ? coerce(raw, schema) : raw;
	}
	return result;
}

function coerce(value: unknown, schema: OpenApiSchema): IDataObject[string] {
	switch (schema.type) {
		case 'integer':
		case 'number': {
			const n = typeof value === 'number' ? value : Number(value);
			return Number.isNaN(n) ? (value as string) : n;
		}
		case 'boolean':
			return typeof value === 'boolean' ? value : String(value).toLowerCase() === 'true';
		case 'array':
		case 'object':
			if (typeof value === 'string') {
				try {
					return JSON.parse(value);
				} catch {
					return schema.type === 'array' ? value.split(',').map((part) => part.trim()) : value;
				}
			}
			return value as IDataObject;
		default:
			return value as string;
	}
}

export interface FileRef {
	/** Binary property suffix, e.g. `''`, `_0`, `_image`. */
	key: string;
	url: string;
}

function looksLikeFile(value: unknown): value is string {
	return typeof value === 'string' && (/^https?:\/\//.test(value) || value.startsWith('data:'));
}

/**
 * Which parts of an output are files: strings the Output schema marks `format: uri`
 * (alone, in arrays, or as object properties), and any `data:` URI.
 */
export function findFileOutputs(output: unknown, schema: OpenApiSchema | undefined): FileRef[] {
	const isUri = (s: OpenApiSchema | undefined) => s?.type === 'string' && s.format === 'uri';
	const refs: FileRef[] = [];
	const consider = (value: unknown, key: string, s: OpenApiSchema | undefined) => {
		if (!looksLikeFile(value)) return;
		if (isUri(s) || value.startsWith('data:')) refs.push({ key, url: value });
	};
	if (Array.isArray(output)) {
		output.forEach((value, index) => consider(value, `_${index}`, schema?.items));
	} else if (output && typeof output === 'object') {
		for (const [name, value] of Object.entries(output as IDataObject)) {
			const propertySchema = schema?.properties?.[name];
			if (Array.isArray(value)) value.forEach((v, i) => consider(v, `_${name}_${i}`, propertySchema?.items));
			else consider(value, `_${name}`, propertySchema);
		}
	} else {
		consider(output, '', schema);
	}
	return refs;
}
