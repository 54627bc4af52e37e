// Builds web/dist: the console's own files plus the vendored front-end libraries, one flat
// folder that the function app serves by exact file name (functions/console.py).
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const vendor = {
  "cytoscape.min.js": "node_modules/cytoscape/dist/cytoscape.min.js",
  "chart.umd.min.js": "node_modules/chart.js/dist/chart.umd.min.js",
  "swagger-ui-bundle.js": "node_modules/swagger-ui-dist/swagger-ui-bundle.js",
  "swagger-ui.css": "node_modules/swagger-ui-dist/swagger-ui.css",
};

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
let bytes = 0;
for (const [name, from] of Object.entries(vendor)) {
  copyFileSync(join(here, from), join(dist, name));
  bytes += statSync(join(dist, name)).size;
}
for (const name of readdirSync(join(here, "src"))) {
  copyFileSync(join(here, "src", name), join(dist, name));
  bytes += statSync(join(dist, name)).size;
}
console.log(`web/dist: ${readdirSync(dist).length} files, ${bytes} bytes`);
