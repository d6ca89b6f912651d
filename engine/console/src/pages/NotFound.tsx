import { Page } from '../ui/Page';
import { Link } from '../ui/Link';

export function NotFound({ path }: { path: string }) {
  return (
    <Page title="Page not found" ready>
      <p>
        There is no console page at <code>{path}</code>. <Link to="/models">Go to the models</Link>.
      </p>
    </Page>
  );
}
