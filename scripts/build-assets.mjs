// Builds the NHS.UK frontend assets into static/build/ (git-ignored):
// compiles assets/scss/main.scss with dart-sass and copies nhsuk-frontend's
// ES module script, icons and logo images. Run by `npm run build`, which
// scripts/setup calls after `npm ci`. Nothing is fetched from the network.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const frontend = join(root, "node_modules", "nhsuk-frontend", "dist", "nhsuk");
const out = join(root, "static", "build");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = sass.compile(join(root, "assets", "scss", "main.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
});
writeFileSync(join(out, "main.css"), result.css);

for (const file of ["nhsuk-frontend.min.js", "nhsuk-frontend.min.js.map"]) {
  cpSync(join(frontend, file), join(out, file));
}
cpSync(join(frontend, "assets"), join(out, "assets"), { recursive: true });
