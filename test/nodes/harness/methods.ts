/**
 * The nodes' dynamic parameter methods (listSearch, loadOptions, resourceMapping) called the way
 * n8n's editor backend calls them (packages/cli DynamicNodeParametersService):
 * - the editor posts the node's type and version, its current parameters, the parameter path
 *   (`parameters.<name>`) and the node's credentials;
 * - the server builds a one-node Workflow around a "Temp-Node" with those parameters and
 *   credentials, and additionalData (getBase) carrying `currentNodeParameters`;
 * - `this` is n8n-core's real LoadOptionsContext(workflow, node, additionalData, path), so
 *   getCredentials, getCurrentNodeParameter (with extractValue for resource locators) and
 *   helpers.httpRequestWithAuthentication are n8n's own;
 * - the method is looked up in `nodeType.methods[kind][name]` and called with `filter` and
 *   `paginationToken` for list searches.
 *
 * Credentials come from the harness's credentialsHelper (the engine's URL and token), unless a
 * call passes its own (to see what a wrong token does).
 */
import { LoadOptionsContext } from 'n8n-core';
import {
  NodeHelpers,
  Workflow,
  type ICredentialDataDecryptedObject,
  type INode,
  type INodeCredentials,
  type INodeListSearchResult,
  type INodeParameters,
  type INodeProperties,
  type INodePropertyOptions,
  type INodeType,
  type IWorkflowExecuteAdditionalData,
  type ResourceMapperFields,
} from 'n8n-workflow';

import { PKG, type N8nHarness } from './n8n';

export type MethodKind = 'listSearch' | 'loadOptions' | 'resourceMapping';

export interface MethodCall {
  /** Short node type name, e.g. `gantryRunModel`. */
  node: string;
  /** The node's parameters as the editor has them; defaults are filled in as the editor does. */
  parameters: Record<string, unknown>;
  /** The parameter the method fills (its path is `parameters.<parameter>`). */
  parameter: string;
  /** Credentials to decrypt instead of the harness's (same credential type). */
  credentials?: ICredentialDataDecryptedObject;
  /** Node credentials as the editor sends them; none at all when `null`. */
  nodeCredentials?: INodeCredentials | null;
}

export class NodeMethods {
  constructor(private readonly n8n: N8nHarness) {}

  nodeType(node: string): INodeType {
    return this.n8n.nodeTypes.getByNameAndVersion(`${PKG}.${node}`, 1);
  }

  /**
   * The node's parameters with defaults filled in for what is displayed (what the editor holds
   * for a node and sends as currentNodeParameters).
   */
  resolveParameters(node: string, parameters: Record<string, unknown>): INodeParameters {
    const description = this.nodeType(node).description;
    return NodeHelpers.getNodeParameters(description.properties, parameters as INodeParameters, true, false, { typeVersion: 1 }, description) ?? {};
  }

  /** `this` for a method: n8n-core's LoadOptionsContext around a Temp-Node, as n8n builds it. */
  context(call: MethodCall): LoadOptionsContext {
    const currentNodeParameters = this.resolveParameters(call.node, call.parameters);
    const node: INode = {
      parameters: currentNodeParameters,
      id: 'uuid-1234',
      name: 'Temp-Node',
      type: `${PKG}.${call.node}`,
      typeVersion: 1,
      position: [0, 0],
    };
    const credentials = call.nodeCredentials === undefined ? { gantryApi: { id: '1', name: 'Gantry' } } : call.nodeCredentials;
    if (credentials) node.credentials = credentials;
    const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes: this.n8n.nodeTypes });
    const additionalData = this.n8n.additionalData('load-options') as IWorkflowExecuteAdditionalData;
    additionalData.currentNodeParameters = currentNodeParameters;
    if (call.credentials) {
      const own = call.credentials;
      additionalData.credentialsHelper = { ...additionalData.credentialsHelper, getDecrypted: async () => own } as unknown as IWorkflowExecuteAdditionalData['credentialsHelper'];
    }
    return new LoadOptionsContext(workflow, workflow.nodes['Temp-Node'], additionalData, `parameters.${call.parameter}`);
  }

  /** `nodeType.methods[kind][name]`, as n8n looks it up (a clear error when it is not there). */
  method(node: string, kind: MethodKind, name: string): (...args: unknown[]) => Promise<unknown> {
    const method = (this.nodeType(node).methods?.[kind] as Record<string, unknown> | undefined)?.[name];
    if (typeof method !== 'function') throw new Error(`Node type "${node}" has no ${kind} method named "${name}"`);
    return method as (...args: unknown[]) => Promise<unknown>;
  }

  async listSearch(call: MethodCall & { method: string; filter?: string; paginationToken?: string }): Promise<INodeListSearchResult> {
    return (await this.method(call.node, 'listSearch', call.method).call(this.context(call), call.filter, call.paginationToken)) as INodeListSearchResult;
  }

  async loadOptions(call: MethodCall & { method: string }): Promise<INodePropertyOptions[]> {
    return (await this.method(call.node, 'loadOptions', call.method).call(this.context(call))) as INodePropertyOptions[];
  }

  async resourceMapping(call: MethodCall & { method: string }): Promise<ResourceMapperFields> {
    return (await this.method(call.node, 'resourceMapping', call.method).call(this.context(call))) as ResourceMapperFields;
  }

  /** Every method a node's description names (searchListMethod, loadOptionsMethod, resourceMapperMethod). */
  referencedMethods(node: string): Array<{ kind: MethodKind; name: string; parameter: string }> {
    const found: Array<{ kind: MethodKind; name: string; parameter: string }> = [];
    const visit = (properties: readonly unknown[] | undefined) => {
      for (const raw of properties ?? []) {
        const property = raw as INodeProperties & { values?: unknown[] };
        const typeOptions = property.typeOptions ?? {};
        if (typeOptions.loadOptionsMethod) found.push({ kind: 'loadOptions', name: typeOptions.loadOptionsMethod, parameter: property.name });
        if (typeOptions.resourceMapper?.resourceMapperMethod) {
          found.push({ kind: 'resourceMapping', name: typeOptions.resourceMapper.resourceMapperMethod, parameter: property.name });
        }
        for (const mode of property.modes ?? []) {
          if (mode.typeOptions?.searchListMethod) found.push({ kind: 'listSearch', name: mode.typeOptions.searchListMethod, parameter: property.name });
        }
        visit(property.options as unknown[] | undefined);
        visit(property.values);
      }
    };
    visit(this.nodeType(node).description.properties);
    return found;
  }
}
