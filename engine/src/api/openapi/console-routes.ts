/**
 * The web console's pages and files (api/console.ts), in /openapi.json. They need no token: the
 * console signs in with one of its own and then calls the API like any client. `*` in a route is
 * the rest of the path, `{path}` in the document.
 */
import { NOT_MODIFIED, empty, location, type RouteDoc } from './route-kit';
import { ref } from './schema-kit';

const PAGE_HEADERS = {
  'content-security-policy': 'Only this origin: the console loads nothing from elsewhere.',
  etag: 'Of the page.',
  'cache-control': 'no-cache',
};

const page = (summary: string): RouteDoc => ({
  tag: 'console',
  extension: true,
  public: true,
  summary,
  // The page's own state (a list's filters) lives in its query; the server answers the same page whatever it holds.
  query: { state: { description: "Any parameters: the console page's own state (e.g. a list's filters), read in the browser.", schema: { type: 'object', additionalProperties: { type: 'string' } } } },
  responses: {
    '200': { description: "The console's page (it routes in the browser).", contentType: 'text/html', headers: PAGE_HEADERS },
    '304': NOT_MODIFIED,
    '503': { description: 'The console bundle was not built (problem+json saying how to build it).', schema: ref('Problem'), contentType: 'application/problem+json' },
  },
});

export const CONSOLE_ROUTE_DOCS: Record<string, RouteDoc> = {
  'GET /': { tag: 'console', extension: true, public: true, summary: 'Redirects to the console.', responses: { '302': { ...empty('To /console/.'), headers: location('/console/') } } },
  'GET /console': { tag: 'console', extension: true, public: true, summary: 'Redirects to the console.', responses: { '302': { ...empty('To /console/.'), headers: location('/console/') } } },
  'GET /p/:id': {
    tag: 'console',
    extension: true,
    public: true,
    summary: "A prediction's web page (its urls.web): redirects to the console's page of it.",
    responses: { '302': { ...empty("To the console's page of the prediction."), headers: location('/console/predictions/{id}') } },
  },
  'GET /console/': page('The console.'),
  'GET /console/*': page('A page of the console (any path below /console/ is the app).'),
  'GET /console/assets/*': {
    tag: 'console',
    extension: true,
    public: true,
    summary: "The console bundle's files (scripts, styles, fonts, images); their names carry a content hash.",
    responses: {
      '200': {
        description: 'The file, gzipped when asked for (text types); immutable.',
        contentType: '*/*',
        headers: { 'cache-control': 'public, max-age=31536000, immutable', etag: 'Of the file.' },
      },
      '304': NOT_MODIFIED,
    },
  },
};
