#!/usr/bin/env node
// Copy the front-end packages pinned in package-lock.json from node_modules/ into static/vendor/.
//
// The copied files are committed, so `make run` needs no npm; `make assets` runs
// `npm ci` and then this script to refresh them. No dependencies beyond Node itself.
//
// Layout (the DKFDS stylesheet loads ../fonts/ and ../img/ relative to css/):
//   static/vendor/dkfds/{css,js,fonts,img}/ + LICENSE.md
//   static/vendor/htmx/htmx.min.js + LICENSE
//   static/vendor/VERSIONS.md
//   tests/e2e/vendor/axe.min.js + LICENSE (test-only: injected by Playwright, never served)

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MODULES = path.join(ROOT, "node_modules");
const VENDOR = path.join(ROOT, "static", "vendor");
const TEST_VENDOR = path.join(ROOT, "tests", "e2e", "vendor");

function fail(message) {
  console.error(`vendor_assets: ${message}`);
  process.exit(1);
}

function packageInfo(name) {
  const file = path.join(MODULES, name, "package.json");
  if (!fs.existsSync(file)) {
    fail(`${name} is not installed; run \`npm ci --ignore-scripts\` first (or \`make assets\`).`);
  }
  const data = JSON.parse(fs.readFileSync(file, "utf8"));
  return { name, version: data.version, license: data.license, dir: path.join(MODULES, name) };
}

function copy(from, to) {
  if (!fs.existsSync(from)) fail(`missing ${path.relative(ROOT, from)}`);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.cpSync(from, to, { recursive: true });
}

function sizeOf(target) {
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(target).reduce((sum, entry) => sum + sizeOf(path.join(target, entry)), 0);
}

// Local files a stylesheet points at with url(...), relative to the stylesheet's folder.
function cssReferences(cssFile) {
  const css = fs.readFileSync(cssFile, "utf8");
  const refs = new Set();
  for (const match of css.matchAll(/url\(\s*['"]?([^'")]+?)['"]?\s*\)/g)) {
    const url = match[1].trim();
    if (/^(data:|#|[a-z]+:\/\/|\/\/)/i.test(url)) continue;
    refs.add(url.split(/[?#]/)[0]);
  }
  return [...refs];
}

// --- DKFDS -----------------------------------------------------------------------------------

const dkfds = packageInfo("dkfds");
const dkfdsDist = path.join(dkfds.dir, "dist");
const dkfdsOut = path.join(VENDOR, "dkfds");
fs.rmSync(dkfdsOut, { recursive: true, force: true });

// The source maps go along: the .min files end in a sourceMappingURL comment, and Django's
// ManifestStaticFilesStorage (collectstatic without DEBUG) fails on a reference it cannot find.
for (const file of [
  "css/dkfds.min.css",
  "css/dkfds.min.css.map",
  "js/dkfds.min.js",
  "js/dkfds.min.js.map",
]) {
  copy(path.join(dkfdsDist, file), path.join(dkfdsOut, file));
}
copy(path.join(dkfdsDist, "img"), path.join(dkfdsOut, "img"));
copy(path.join(dkfds.dir, "LICENSE.md"), path.join(dkfdsOut, "LICENSE.md"));

// Fonts: dist/fonts holds IBM Plex Sans in every weight and format (about 12 MB). Copy only the
// files the stylesheet loads, plus the OFL licence text beside each copied format.
const cssDir = path.join(dkfdsDist, "css");
const fontRefs = cssReferences(path.join(cssDir, "dkfds.min.css"))
  .map((ref) => path.resolve(cssDir, ref))
  .filter((abs) => abs.startsWith(path.join(dkfdsDist, "fonts") + path.sep));
if (fontRefs.length === 0) fail("found no font references in dkfds.min.css");
const fontDirs = new Set();
for (const abs of fontRefs) {
  const rel = path.relative(dkfdsDist, abs);
  copy(abs, path.join(dkfdsOut, rel));
  fontDirs.add(path.dirname(rel));
}
for (const dir of fontDirs) {
  const licence = path.join(dkfdsDist, dir, "license.txt");
  if (fs.existsSync(licence)) copy(licence, path.join(dkfdsOut, dir, "license.txt"));
}

// Every local url() in the copied stylesheet must resolve inside the copy.
const missing = cssReferences(path.join(dkfdsOut, "css", "dkfds.min.css")).filter(
  (ref) => !fs.existsSync(path.resolve(dkfdsOut, "css", ref)),
);
if (missing.length) fail(`dkfds.min.css references files that were not copied: ${missing.join(", ")}`);

function countFiles(dir) {
  let n = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    n += entry.isDirectory() ? countFiles(path.join(dir, entry.name)) : 1;
  }
  return n;
}
const fontsAll = countFiles(path.join(dkfdsDist, "fonts"));
const fontsKept = countFiles(path.join(dkfdsOut, "fonts"));

// --- htmx ------------------------------------------------------------------------------------

const htmx = packageInfo("htmx.org");
if (!htmx.version.startsWith("2.")) fail(`htmx.org ${htmx.version} is not 2.x`);
const htmxOut = path.join(VENDOR, "htmx");
fs.rmSync(htmxOut, { recursive: true, force: true });
copy(path.join(htmx.dir, "dist", "htmx.min.js"), path.join(htmxOut, "htmx.min.js"));
copy(path.join(htmx.dir, "LICENSE"), path.join(htmxOut, "LICENSE"));

// --- axe-core (tests only) -------------------------------------------------------------------

// The end-to-end tests inject axe into every page they visit; it is not served to users, so it
// lives beside the tests rather than in static/.
const axe = packageInfo("axe-core");
fs.rmSync(TEST_VENDOR, { recursive: true, force: true });
copy(path.join(axe.dir, "axe.min.js"), path.join(TEST_VENDOR, "axe.min.js"));
copy(path.join(axe.dir, "LICENSE"), path.join(TEST_VENDOR, "LICENSE"));
copy(path.join(axe.dir, "LICENSE-3RD-PARTY.txt"), path.join(TEST_VENDOR, "LICENSE-3RD-PARTY.txt"));
fs.writeFileSync(
  path.join(TEST_VENDOR, "VERSIONS.md"),
  `# Vendored test-only packages

Generated by \`scripts/vendor_assets.mjs\` from \`package-lock.json\`; do not edit by hand.

| Package | Version | Licence | Files here |
| --- | --- | --- | --- |
| [axe-core](https://www.npmjs.com/package/axe-core) | ${axe.version} | ${axe.license} | \`axe.min.js\`, \`LICENSE\`, \`LICENSE-3RD-PARTY.txt\` |

The end-to-end tests (\`tests/e2e/\`) inject \`axe.min.js\` into every page with Playwright's
\`add_init_script\` (the strict CSP blocks an inserted script tag). It is never served.
`,
);

// --- VERSIONS.md -----------------------------------------------------------------------------

const versions = `# Vendored front-end packages

Generated by \`scripts/vendor_assets.mjs\` from the versions pinned in \`package-lock.json\`.
Do not edit these files by hand.

| Package | Version | Licence | Files here |
| --- | --- | --- | --- |
| [dkfds](https://www.npmjs.com/package/dkfds) (Det Fælles Designsystem) | ${dkfds.version} | ${dkfds.license} | \`dkfds/\` |
| [htmx.org](https://www.npmjs.com/package/htmx.org) | ${htmx.version} | ${htmx.license} | \`htmx/\` |

DKFDS licences, as stated in \`dkfds/LICENSE.md\`: the code and stylesheets are MIT; the
IBM Plex Sans fonts are SIL Open Font License 1.1 (\`license.txt\` beside each font format);
the icons in \`dkfds/img/svg-icons/\` and \`dkfds/img/all-svg-icons.svg\` are Apache-2.0.
htmx is Zero-Clause BSD (\`htmx/LICENSE\`).

These built files are committed so that \`make run\` needs no npm or Node. To update, change
the pins in \`package.json\`, run \`npm install --ignore-scripts\` to update the lock file, then
\`make assets\` (\`npm ci --ignore-scripts --no-audit --no-fund && node scripts/vendor_assets.mjs\`)
and commit the result.

## What is copied

- \`dkfds/css/dkfds.min.css\`, \`dkfds/js/dkfds.min.js\` and their source maps (the minified
  files reference the maps; Django's manifest storage needs every reference to exist).
- \`dkfds/img/\`: the whole \`dist/img/\` folder.
- \`dkfds/fonts/\`: only the ${fontsKept - fontDirs.size} font files that \`dkfds.min.css\` loads, plus the
  OFL \`license.txt\` of each copied format folder.
- \`htmx/htmx.min.js\`.

## What is skipped

- ${fontsAll - fontsKept} of the ${fontsAll} files in dkfds \`dist/fonts/\`: the OTF files, the split
  (per-script subset) fonts, the weights the stylesheet does not use (Thin, ExtraLight, Light,
  Text and their italics), and the EOT/TTF files of every weight except Regular. About 12 MB
  that no page requests.
- The unminified builds, the Borger.dk and Virk.dk theme stylesheets, and the SCSS sources.
- htmx extensions and the ESM/CJS/AMD builds.
`;
fs.writeFileSync(path.join(VENDOR, "VERSIONS.md"), versions);

const kb = (bytes) => `${Math.round(bytes / 1024)} KB`;
console.log(`dkfds ${dkfds.version} -> static/vendor/dkfds (${kb(sizeOf(dkfdsOut))})`);
console.log(`htmx.org ${htmx.version} -> static/vendor/htmx (${kb(sizeOf(htmxOut))})`);
console.log(`static/vendor total ${kb(sizeOf(VENDOR))}`);
console.log(`axe-core ${axe.version} -> tests/e2e/vendor (${kb(sizeOf(TEST_VENDOR))})`);
