/** Entry point: mounts the console into #app. */
import { render } from 'preact';
import { App } from './app';
// uPlot's own stylesheet (small) is here; its script loads with the first chart.
import 'uplot/dist/uPlot.min.css';
import './styles.css';

render(<App />, document.getElementById('app')!);
