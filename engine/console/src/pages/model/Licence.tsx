/** Licence: what the model's licence is and where its text lives (opened by the user, never fetched). */
import { isCopyleft, licenceName } from '../../lib/licences';
import type { ModelTabProps } from '../ModelPage';

export function Licence({ model }: ModelTabProps) {
  const url = model.license_url;
  const name = licenceName(url);
  return (
    <section class="card" data-testid="licence">
      <h2>Licence</h2>
      {url ? (
        <>
          <p>
            {name ? <strong>{name}</strong> : 'The licence'}:{' '}
            <a href={url} target="_blank" rel="noopener noreferrer">
              {url}
            </a>
          </p>
          {isCopyleft(url) && (
            <p class="notice">
              A copyleft licence: distributing software that includes this model (or its library) carries the licence's obligations; read it before you ship one.
            </p>
          )}
          {model.imported_from && (
            <p class="muted">
              As stated on the public catalogue page this model was imported from: {model.imported_from}
            </p>
          )}
        </>
      ) : (
        <p>This model states no licence. Ask its author before using its outputs commercially.</p>
      )}
    </section>
  );
}
