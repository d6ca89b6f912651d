/**
 * One model check: while it runs, its progress (runs finished of planned) and the runner's log,
 * read again gently (every second at first, then every 2 and 5 s: checks take seconds to
 * minutes); cancel; then its report. "Run again" opens the form filled from this check; the
 * Markdown page of the report can be downloaded.
 */
import { useState } from 'preact/hooks';
import { api, ApiProblem } from '../api';
import type { Check } from '../api/types';
import { checkPollMs } from '../lib/check-request';
import { shortId, when } from '../lib/format';
import { KeyValues } from '../ui/KeyValues';
import { Link } from '../ui/Link';
import { Page } from '../ui/Page';
import { ProblemNotice } from '../ui/ProblemNotice';
import { Status } from '../ui/Status';
import { usePoll, useResource } from '../ui/use-resource';
import { OPEN_CHECK } from './Checks';
import { Report } from './check/Report';

/** Fetches the report's Markdown page (with the session's token) and saves it as a file. */
async function downloadMarkdown(check: Check) {
  const text = await api.request<string>('GET', `/v1/checks/${check.id}?format=markdown`, { text: true, headers: { accept: 'text/markdown' } });
  const url = URL.createObjectURL(new Blob([text], { type: 'text/markdown' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `check-${check.id}.md`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function Progress({ check }: { check: Check }) {
  const { planned, finished } = check.progress;
  return (
    <section class="card" aria-live="polite">
      <h2>Progress</h2>
      <p>
        <label for="check-progress">
          {finished} of {planned} runs finished
        </label>{' '}
        <progress id="check-progress" max={planned} value={finished} data-testid="check-progress" />
      </p>
      <p class="hint">The report is written when the last run ends. Each run is a prediction tagged with this check.</p>
      {check.logs ? <pre class="logs">{check.logs}</pre> : <p class="muted">No run has ended yet.</p>}
    </section>
  );
}

export function CheckPage({ id }: { id: string }) {
  const check = useResource((signal) => api.get<Check>(`/v1/checks/${id}`, { signal }), [id]);
  const [problem, setProblem] = useState<ApiProblem | undefined>();
  const [canceling, setCanceling] = useState(false);
  const c = check.data;
  const open = !!c && OPEN_CHECK.has(c.status);
  const age = c ? (Date.now() - new Date(c.created_at).getTime()) / 1000 : 0;
  usePoll(async () => check.setData(await api.get<Check>(`/v1/checks/${id}`)), checkPollMs(age), open);
  const cancel = async () => {
    setCanceling(true);
    try {
      check.setData(await api.post<Check>(`/v1/checks/${id}/cancel`));
    } catch (err) {
      setProblem(err as ApiProblem);
    } finally {
      setCanceling(false);
    }
  };
  const markdown = async () => {
    try {
      await downloadMarkdown(c!);
    } catch (err) {
      setProblem(err as ApiProblem);
    }
  };
  return (
    <Page
      title={`Check ${id}`}
      ready={!!c || !!check.error}
      subtitle={
        c && (
          <span data-testid="check-status" data-status={c.status}>
            <Status value={c.status} /> <Link to={`/models/${c.model}`}>{c.model}</Link>
            {c.deployment && <> via {c.deployment}</>}
          </span>
        )
      }
      actions={
        c && (
          <>
            {open && (
              <button type="button" class="danger" onClick={cancel} disabled={canceling}>
                {canceling ? 'Canceling…' : 'Cancel'}
              </button>
            )}
            {c.report && (
              <button type="button" class="secondary" onClick={markdown}>
                Markdown
              </button>
            )}
            <Link to={`/checks/new?from=${c.id}`} class="button secondary">
              Run again
            </Link>
          </>
        )
      }
    >
      <ProblemNotice problem={check.error ?? problem} />
      {c && (
        <>
          <section class="card">
            <h2>About</h2>
            <KeyValues
              testid="check-about"
              rows={[
                ['Version', <code title={c.version}>{shortId(c.version)}</code>],
                ['Runs of the input', String(c.runs)],
                ['Hardware compared', c.hardware.length ? c.hardware.join(', ') : 'none'],
                ['Compared with', c.compare_with ?? 'nothing'],
                ['Worst case', c.worst_case ? 'yes' : 'no'],
                ['Deadline', c.timeout],
                ['Created', when(c.created_at)],
                ['Completed', when(c.completed_at)],
                ['Input', c.data_removed ? 'removed (data retention)' : <code class="break">{JSON.stringify(c.input)}</code>],
              ]}
            />
            {c.error && (
              <p class="field-error" role="alert">
                {c.error}
              </p>
            )}
          </section>
          {open && <Progress check={c} />}
          {c.report ? <Report checkId={c.id} report={c.report} /> : !open && <p class="muted">This check has no report.</p>}
          {!open && c.logs && (
            <details class="card">
              <summary>Log of the runs</summary>
              <pre class="logs">{c.logs}</pre>
            </details>
          )}
        </>
      )}
    </Page>
  );
}
