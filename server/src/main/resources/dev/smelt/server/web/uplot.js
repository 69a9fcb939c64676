// uPlot, the WebJar this server serves: its version written once for the pages' scripts (the stylesheet's is in WebUi).
export { default } from '/webjars/uplot/1.6.30/dist/uPlot.esm.js';
