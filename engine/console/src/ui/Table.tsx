/** A data table with its column headings, scrolling sideways inside its box on narrow screens. */
import type { ComponentChildren } from 'preact';

interface Props {
  head: ComponentChildren[];
  testid?: string;
  /** Read by assistive technology when the heading above does not say what the table is. */
  caption?: ComponentChildren;
  children: ComponentChildren;
}

export function Table({ head, testid, caption, children }: Props) {
  return (
    <div class="table-wrap">
      <table data-testid={testid}>
        {caption && <caption class="sr-only">{caption}</caption>}
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
