/**
 * In-process n8n (reference/n8n-nodes.md §5.1): n8n-core's WorkflowExecute runs the compiled
 * package from dist/, loaded by PackageDirectoryLoader the way n8n loads community packages.
 *
 * Besides running workflows it plays the parts of n8n's server that the nodes rely on:
 * - POST /webhook-waiting/<executionId>: resumes a waiting execution through the waiting node's
 *   webhook() (like WaitingWebhooks: 409 while running or finished, no resume without workflowData);
 * - POST /webhook/<webhookId>/<path>: delivers to an activated trigger's webhook() and runs the
 *   workflow when it returns workflowData;
 * - activate()/deactivate(): calls a trigger's webhookMethods (checkExists/create/delete).
 */
import './env';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Container } from '@n8n/di';
import {
  BinaryDataService,
  ExecutionLifecycleHooks,
  HookContext,
  PackageDirectoryLoader,
  WebhookContext,
  WorkflowExecute,
} from 'n8n-core';
import {
  NodeHelpers,
  Workflow,
  type ICredentialDataDecryptedObject,
  type IDataObject,
  type IHttpRequestOptions,
  type INode,
  type INodeExecutionData,
  type INodeType,
  type INodeTypes,
  type IConnections,
  type IRun,
  type IRunExecutionData,
  type IWorkflowExecuteAdditionalData,
  type IWebhookData,
  type WorkflowExecuteMode,
} from 'n8n-workflow';

export const PACKAGE_DIR = join(__dirname, '..', '..', '..');
export const PKG = 'n8n-nodes-gantry';

export interface WorkflowDef {
  nodes: Array<Omit<INode, 'id' | 'position' | 'typeVersion'> & Partial<INode>>;
  connections?: IConnections;
}

export interface Execution {
  id: string;
  workflow: Workflow;
  data: IRunExecutionData;
  status: 'running' | 'waiting' | 'success' | 'error' | 'canceled' | 'crashed' | 'new' | 'unknown';
  result?: IRun;
  done: Promise<IRun>;
  resolveDone: (run: IRun) => void;
}

interface RawRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  body: IDataObject;
  query: Record<string, string>;
  params: Record<string, string>;
}

class FakeResponse {
  statusCode = 200;
  body: unknown;
  sent = false;
  headers: Record<string, string> = {};
  status(code: number) {
    this.statusCode = code;
    return this;
  }
  json(body: unknown) {
    this.body = body;
    this.sent = true;
    return this;
  }
  send(body: unknown) {
    return this.json(body);
  }
  end() {
    this.sent = true;
    return this;
  }
  setHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
    return this;
  }
}

export class N8nHarness {
  private loader!: PackageDirectoryLoader;
  private server!: Server;
  baseUrl = '';
  credentials: Record<string, ICredentialDataDecryptedObject> = {};
  executions = new Map<string, Execution>();
  private triggers = new Map<string, { workflow: Workflow; node: INode; webhook: IWebhookData }>();
  private nextId = 1;
  /** Every request the resume/trigger endpoints answered: [path, status, body]. */
  readonly calls: Array<{ path: string; status: number; body: unknown }> = [];

  static async start(): Promise<N8nHarness> {
    const harness = new N8nHarness();
    await Container.get(BinaryDataService).init();
    harness.loader = new PackageDirectoryLoader(PACKAGE_DIR);
    await harness.loader.loadAll();
    harness.server = createServer((req, res) => void harness.handle(req, res));
    await new Promise<void>((resolve) => harness.server.listen(0, '127.0.0.1', resolve));
    harness.baseUrl = `http://127.0.0.1:${(harness.server.address() as AddressInfo).port}`;
    return harness;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    // n8n shuts these down on process exit; in a test process their timers would keep jest alive.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SSHClientsManager } = require('n8n-core/dist/execution-engine/ssh-clients-manager');
    if (Container.has(SSHClientsManager)) Container.get<{ onShutdown(): void }>(SSHClientsManager).onShutdown();
  }

  get nodeTypeNames(): string[] {
    return Object.keys(this.loader.nodeTypes);
  }

  get credentialTypeNames(): string[] {
    return Object.keys(this.loader.credentialTypes);
  }

  credentialType(name: string) {
    return this.loader.credentialTypes[name].type;
  }

  readonly nodeTypes: INodeTypes = {
    getByName: (type) => this.loader.nodeTypes[this.shortName(type)].type,
    getByNameAndVersion: (type, version) =>
      NodeHelpers.getVersionedNodeType(this.loader.nodeTypes[this.shortName(type)].type, version) as INodeType,
    getKnownTypes: () => ({}),
  };

  private shortName(type: string) {
    return type.startsWith(`${PKG}.`) ? type.slice(PKG.length + 1) : type;
  }

  workflow(def: WorkflowDef, id = 'wf-test'): Workflow {
    const nodes = def.nodes.map((node, index) => ({
      id: node.id ?? `node-${index}`,
      position: [index * 200, 0] as [number, number],
      typeVersion: 1,
      credentials: node.credentials ?? { gantryApi: { id: '1', name: 'Gantry' } },
      ...node,
    })) as INode[];
    return new Workflow({ id, name: 'test', nodes, connections: def.connections ?? {}, active: false, nodeTypes: this.nodeTypes });
  }

  additionalData(executionId: string, hooks?: ExecutionLifecycleHooks): IWorkflowExecuteAdditionalData {
    const harness = this;
    const credentialsHelper = {
      getParentTypes: () => [],
      async authenticate(credentials: ICredentialDataDecryptedObject, typeName: string, options: IHttpRequestOptions) {
        const type = harness.credentialType(typeName);
        const auth = type.authenticate as { properties?: { headers?: Record<string, string> } } | undefined;
        const headers: Record<string, string> = { ...((options.headers as Record<string, string>) ?? {}) };
        for (const [name, template] of Object.entries(auth?.properties?.headers ?? {})) {
          headers[name] = template
            .replace(/^=/, '')
            .replace(/\{\{\s*\$credentials\.(\w+)\s*\}\}/g, (_m, key: string) => String(credentials[key] ?? ''));
        }
        return { ...options, headers };
      },
      preAuthentication: async () => undefined,
      getCredentials: async () => ({}),
      getDecrypted: async (_ad: unknown, _nc: unknown, type: string) => harness.credentials[type] ?? {},
      updateCredentials: async () => undefined,
      updateCredentialsOauthTokenData: async () => undefined,
      getCredentialsProperties: () => [],
    };
    return {
      executionId,
      hooks,
      credentialsHelper,
      webhookWaitingBaseUrl: `${this.baseUrl}/webhook-waiting`,
      webhookBaseUrl: `${this.baseUrl}/webhook`,
      webhookTestBaseUrl: `${this.baseUrl}/webhook-test`,
      formWaitingBaseUrl: `${this.baseUrl}/form-waiting`,
      instanceBaseUrl: this.baseUrl,
      restApiUrl: `${this.baseUrl}/rest`,
      variables: {},
      currentNodeExecutionIndex: 0,
      executeWorkflow: async () => {
        throw new Error('not supported in the harness');
      },
      getRunExecutionData: async () => undefined,
      logAiEvent: () => undefined,
      startRunnerTask: async () => {
        throw new Error('not supported in the harness');
      },
    } as unknown as IWorkflowExecuteAdditionalData;
  }

  /** Runs `def` starting at `startNode` with `items` as its input. */
  async run(def: WorkflowDef, startNode: string, items: INodeExecutionData[] = [{ json: {} }], mode: WorkflowExecuteMode = 'manual'): Promise<Execution> {
    const workflow = this.workflow(def);
    const node = workflow.getNode(startNode);
    if (!node) throw new Error(`no node ${startNode}`);
    const data: IRunExecutionData = {
      startData: {},
      resultData: { runData: {} },
      executionData: {
        contextData: {},
        nodeExecutionStack: [{ node, data: { main: [items] }, source: null }],
        metadata: {},
        waitingExecution: {},
        waitingExecutionSource: {},
      },
    } as IRunExecutionData;
    const id = String(this.nextId++);
    let resolveDone!: (run: IRun) => void;
    const done = new Promise<IRun>((resolve) => (resolveDone = resolve));
    const execution: Execution = { id, workflow, data, status: 'running', done, resolveDone };
    this.executions.set(id, execution);
    await this.process(execution, mode);
    return execution;
  }

  private async process(execution: Execution, mode: WorkflowExecuteMode): Promise<void> {
    execution.status = 'running';
    const hooks = new ExecutionLifecycleHooks(mode, execution.id, {
      id: execution.workflow.id,
      name: 'test',
      active: false,
      isArchived: false,
      nodes: Object.values(execution.workflow.nodes),
      connections: execution.workflow.connectionsBySourceNode,
      createdAt: new Date(),
      updatedAt: new Date(),
    } as never);
    const run = await new WorkflowExecute(this.additionalData(execution.id, hooks), mode, execution.data).processRunExecutionData(
      execution.workflow,
    );
    execution.result = run;
    execution.data = run.data;
    execution.status = run.waitTill ? 'waiting' : (run.status as Execution['status']);
    if (execution.status !== 'waiting') execution.resolveDone(run);
  }

  /** What n8n's WaitTracker does when waitTill passes: resume without running the node again. */
  async resumeByTimer(executionId: string): Promise<IRun> {
    const execution = this.executions.get(executionId)!;
    await this.process(execution, 'manual');
    return await execution.done;
  }

  /** Output items of a node's last run on `output`. */
  static output(run: IRun | undefined, node: string, output = 0): INodeExecutionData[] {
    const runs = run?.data.resultData.runData[node] ?? [];
    return runs[runs.length - 1]?.data?.main?.[output] ?? [];
  }

  /** The IWebhookData of a node's webhook descriptions (what n8n's WebhookService builds). */
  nodeWebhooks(workflow: Workflow, node: INode, additionalData: IWorkflowExecuteAdditionalData): IWebhookData[] {
    const nodeType = this.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
    return (nodeType.description.webhooks ?? []).map((description) => ({
      httpMethod: description.httpMethod as IWebhookData['httpMethod'],
      node: node.name,
      path: NodeHelpers.getNodeWebhookPath(workflow.id, node, String(description.path ?? ''), Boolean(description.isFullPath), Boolean(description.restartWebhook)),
      webhookDescription: description,
      workflowId: workflow.id,
      workflowExecuteAdditionalData: additionalData,
      webhookId: node.webhookId,
    }));
  }

  /** Activates a trigger node: webhookMethods checkExists → create (as n8n does on activation). */
  async activate(def: WorkflowDef, triggerName: string): Promise<{ workflow: Workflow; webhookUrl: string; deactivate(): Promise<void> }> {
    const workflow = this.workflow(def, `wf-trigger-${this.nextId++}`);
    const node = workflow.getNode(triggerName)!;
    node.webhookId ??= `hook-${this.nextId++}`;
    const additionalData = this.additionalData('activation');
    const [webhook] = this.nodeWebhooks(workflow, node, additionalData);
    const nodeType = this.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
    const methods = nodeType.webhookMethods!.default;
    const ctx = () => new HookContext(workflow, node, additionalData, 'trigger', 'activate', webhook);
    if (!(await methods.checkExists.call(ctx()))) await methods.create.call(ctx());
    const key = webhook.path;
    this.triggers.set(key, { workflow, node, webhook });
    return {
      workflow,
      webhookUrl: `${this.baseUrl}/webhook/${key}`,
      deactivate: async () => {
        this.triggers.delete(key);
        await methods.delete.call(new HookContext(workflow, node, additionalData, 'trigger', 'deactivate', webhook));
      },
    };
  }

  triggerExists(def: { workflow: Workflow }, triggerName: string): Promise<boolean> {
    const node = def.workflow.getNode(triggerName)!;
    const additionalData = this.additionalData('check');
    const [webhook] = this.nodeWebhooks(def.workflow, node, additionalData);
    const nodeType = this.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
    return nodeType.webhookMethods!.default.checkExists.call(
      new HookContext(def.workflow, node, additionalData, 'trigger', 'activate', webhook),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.baseUrl);
    let body: IDataObject = {};
    try {
      body = rawBody.length ? JSON.parse(rawBody.toString('utf8')) : {};
    } catch {
      body = {};
    }
    const request: RawRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      rawBody,
      body,
      query: Object.fromEntries(url.searchParams),
      params: {},
    };
    let status = 200;
    let payload: unknown;
    try {
      const parts = url.pathname.split('/').filter(Boolean);
      if (parts[0] === 'webhook-waiting') [status, payload] = await this.resumeWebhook(parts[1], request);
      else if (parts[0] === 'webhook') [status, payload] = await this.triggerWebhook(parts.slice(1).join('/'), request);
      else [status, payload] = [404, { message: 'not found' }];
    } catch (error) {
      [status, payload] = [500, { message: (error as Error).message }];
    }
    this.calls.push({ path: url.pathname, status, body: payload });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload ?? {}));
  }

  private webhookContext(workflow: Workflow, node: INode, webhook: IWebhookData, request: RawRequest, response: FakeResponse, mode: WorkflowExecuteMode, data?: IRunExecutionData) {
    const additionalData = this.additionalData('webhook');
    Object.assign(additionalData, { httpRequest: request, httpResponse: response });
    return new WebhookContext(workflow, node, additionalData, mode, webhook, [], data ?? null);
  }

  private async resumeWebhook(executionId: string, request: RawRequest): Promise<[number, unknown]> {
    const execution = this.executions.get(executionId);
    if (!execution) return [404, { message: `The execution "${executionId}" does not exist.` }];
    if (execution.status === 'running') return [409, { message: `The execution "${executionId}" is running already.` }];
    if (execution.status !== 'waiting') return [409, { message: `The execution "${executionId}" has finished already.` }];
    const waitingNode = execution.data.executionData!.nodeExecutionStack[0].node;
    const [webhook] = this.nodeWebhooks(execution.workflow, waitingNode, this.additionalData(executionId)).filter(
      (w) => w.webhookDescription.restartWebhook === true && w.httpMethod === request.method,
    );
    if (!webhook) return [404, { message: 'no waiting webhook' }];
    const nodeType = this.nodeTypes.getByNameAndVersion(waitingNode.type, waitingNode.typeVersion);
    const response = new FakeResponse();
    const result = await nodeType.webhook!.call(
      this.webhookContext(execution.workflow, waitingNode, webhook, request, response, 'manual', execution.data),
    );
    if (result.noWebhookResponse) return [response.statusCode, response.body];
    if (result.workflowData === undefined) return [200, result.webhookResponse];
    execution.data.executionData!.nodeExecutionStack[0].data.main = result.workflowData;
    execution.status = 'running';
    void this.process(execution, 'manual');
    return [200, result.webhookResponse];
  }

  private async triggerWebhook(key: string, request: RawRequest): Promise<[number, unknown]> {
    const trigger = this.triggers.get(key);
    if (!trigger) return [404, { message: 'The requested webhook is not registered.' }];
    const nodeType = this.nodeTypes.getByNameAndVersion(trigger.node.type, trigger.node.typeVersion);
    const response = new FakeResponse();
    const result = await nodeType.webhook!.call(
      this.webhookContext(trigger.workflow, trigger.node, trigger.webhook, request, response, 'webhook'),
    );
    if (result.noWebhookResponse) return [response.statusCode, response.body];
    if (result.workflowData) {
      const def: WorkflowDef = {
        nodes: Object.values(trigger.workflow.nodes),
        connections: trigger.workflow.connectionsBySourceNode,
      };
      await this.run(def, trigger.node.name, result.workflowData[0], 'webhook');
    }
    return [200, result.webhookResponse ?? { message: 'Workflow was started' }];
  }

  /** Waits until `predicate` holds, polling every 50 ms. */
  static async until<T>(fn: () => T | Promise<T>, timeoutMs = 20000): Promise<NonNullable<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await fn();
      if (value) return value as NonNullable<T>;
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
