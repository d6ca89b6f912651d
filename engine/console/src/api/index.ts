/** The one API client of the console, bound to the tab's session. */
import { currentToken } from '../session';
import { ApiClient } from './client';

export const api = new ApiClient(currentToken);
export { ApiProblem, withQuery } from './client';
