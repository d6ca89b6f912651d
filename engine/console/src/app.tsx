/**
 * The console's frame: sign-in gate, navigation, and the page for the current path. A token the
 * engine refuses at any point (revoked, engine reset) ends the session and returns to sign-in.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import { currentToken, onSessionChange, signOut } from './session';
import { navigate, useLocation } from './router';
import { SECTIONS, sectionOf } from './nav';
import { pageFor } from './routes';
import { SignIn } from './pages/SignIn';
import { Link } from './ui/Link';

export function App() {
  const { path, query } = useLocation();
  const [token, setToken] = useState(currentToken());
  const [ended, setEnded] = useState<string | undefined>();
  useEffect(() => onSessionChange(setToken), []);
  useEffect(
    () =>
      api.whenUnauthorized(() => {
        setEnded('The engine refused the token of this session (revoked, or the engine was reset). Sign in again.');
        signOut();
      }),
    [],
  );
  useEffect(() => {
    if (token && (path === '/' || path === '/sign-in')) navigate('/models', { replace: true });
  }, [token, path]);

  if (!token) return <SignIn next={path === '/' ? '/models' : `${path}${location.search}`} ended={ended} />;
  const section = sectionOf(path);
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link to="/models" class="brand">
          Gantry
        </Link>
        <nav aria-label="Sections" class="sections">
          {SECTIONS.map((s) => (
            <Link key={s.path} to={s.path} aria-current={section?.path === s.path ? 'page' : undefined}>
              {s.label}
            </Link>
          ))}
        </nav>
        <button
          type="button"
          class="secondary small sign-out"
          onClick={() => {
            setEnded(undefined);
            signOut();
          }}
        >
          Sign out
        </button>
      </header>
      {pageFor(path, query)}
    </div>
  );
}
