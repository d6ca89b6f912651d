/** A report item's figures: a two-column table of values and a table per list of records. */
import type { ComponentChildren } from 'preact';
import { figureView, type Cell } from '../../lib/figures';
import { Link } from '../../ui/Link';
import { Table } from '../../ui/Table';

function CellText({ cell }: { cell: Cell }) {
  if (!cell.predictions?.length) return <>{cell.text}</>;
  const links: ComponentChildren[] = [];
  cell.predictions.forEach((id, i) => {
    if (i) links.push(', ');
    links.push(
      <Link key={id} to={`/predictions/${id}`} class="mono">
        {id}
      </Link>,
    );
  });
  return <>{links}</>;
}

export function Figures({ itemKey, figures }: { itemKey: string; figures: Record<string, unknown> }) {
  const view = figureView(figures);
  if (!view.rows.length && !view.tables.length) return null;
  return (
    <div class="figures" data-testid={`figures-${itemKey}`}>
      {view.rows.length > 0 && (
        <Table head={['Figure', 'Value']} caption={`Figures of ${itemKey}`}>
          {view.rows.map((r) => (
            <tr key={r.name} data-figure={r.name}>
              <th scope="row">
                <code>{r.name}</code>
              </th>
              <td>
                <CellText cell={r.cell} />
              </td>
            </tr>
          ))}
        </Table>
      )}
      {view.tables.map((t) => (
        <div key={t.name} class="figure-table" data-figure-table={t.name}>
          <h4>
            <code>{t.name}</code>
          </h4>
          <Table head={t.columns} caption={`${t.name} of ${itemKey}`}>
            {t.rows.map((row, i) => (
              <tr key={i}>
                {row.map((cell, j) => (
                  <td key={t.columns[j]} data-col={t.columns[j]}>
                    <CellText cell={cell} />
                  </td>
                ))}
              </tr>
            ))}
          </Table>
        </div>
      ))}
    </div>
  );
}
