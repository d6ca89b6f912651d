/** An API problem shown above a form or a page: title, detail and the errors that name no field. */
import type { ApiProblem } from '../api';
import type { FieldProblem } from '../api/types';

export function ProblemNotice({ problem, errors }: { problem: ApiProblem | undefined; errors?: FieldProblem[] }) {
  if (!problem) return null;
  const rest = errors ?? problem.errors;
  return (
    <div class="notice error" role="alert" data-testid="problem">
      <strong>{problem.title}</strong>
      {problem.status > 0 && <span class="muted"> ({problem.status})</span>}
      {problem.detail && <p>{problem.detail}</p>}
      {rest.length > 0 && (
        <ul>
          {rest.map((e) => (
            <li key={e.pointer}>
              <code>{e.pointer || '(body)'}</code> {e.detail}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
