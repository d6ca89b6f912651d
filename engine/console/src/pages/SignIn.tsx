/**
 * Sign in with an API token. The token is tried against `GET /v1/account` first; a refused token
 * is said plainly, next to the field, with where a valid one comes from.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiProblem } from '../api';
import { signIn } from '../session';
import { navigate } from '../router';
import { Field, describedBy } from '../ui/Field';
import { ProblemNotice } from '../ui/ProblemNotice';

export function SignIn({ next, ended }: { next: string; ended?: string }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | undefined>();
  const [fieldError, setFieldError] = useState<string | undefined>();
  useEffect(() => {
    document.title = 'Sign in · Gantry';
    performance.mark('console:ready', { detail: { title: 'Sign in' } });
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setProblem(undefined);
    setFieldError(undefined);
    const value = token.trim();
    if (!value) {
      setFieldError('Enter an API token.');
      return;
    }
    setBusy(true);
    try {
      await api.request('GET', '/v1/account', {}, value);
      signIn(value);
      navigate(next && next !== '/sign-in' ? next : '/models', { replace: true });
    } catch (err) {
      const p = err as ApiProblem;
      if (p.status === 401) setFieldError(`The engine refused this token: ${p.detail}`);
      else setProblem(p);
    } finally {
      setBusy(false);
    }
  };

  const refused = fieldError?.startsWith('The engine refused');
  return (
    <main id="main" class="page sign-in" data-ready="true">
      <h1>{refused ? 'Token refused' : 'Sign in to Gantry'}</h1>
      {ended && (
        <div class="notice" role="status">
          {ended}
        </div>
      )}
      <form onSubmit={submit} noValidate class="card narrow">
        <ProblemNotice problem={problem} />
        <Field
          id="token"
          label="API token"
          hint="The admin token printed when the engine first started (also in .gantry/admin-token), or one made on the Tokens page. It is kept for this tab only."
          error={fieldError}
        >
          <input
            id="token"
            type="password"
            autoComplete="off"
            spellcheck={false}
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            {...describedBy('token', true, fieldError)}
          />
        </Field>
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
