// Entry point: TensorBoard's plugin_entry.html imports this module inside the
// tab's iframe and calls render() once.
import uplotCss from 'uplot/dist/uPlot.min.css';
import css from './style.css';
import { App } from './ui/app.js';

export function render() {
  const style = document.createElement('style');
  style.textContent = `${uplotCss}\n${css}`;
  document.head.appendChild(style);
  const app = new App(document.body);
  app.start();
  return app;
}
