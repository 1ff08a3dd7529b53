// Build the verifier page: one self-contained HTML file, dist/verify.html.
//
// esbuild bundles src/page.js with its two audited dependencies (@noble/hashes, @noble/curves,
// exact versions from package-lock.json) into one script, which is inlined with src/style.css
// into src/template.html. The page's Content-Security-Policy allows exactly that script and that
// style by their SHA-256 and nothing else: no request of any kind can leave the page.
//
// The build is reproducible: the same lockfile and sources give the same bytes (no timestamps,
// paths relative to this folder). `node build.mjs --check` rebuilds in memory and exits 1 if
// dist/verify.html differs (tests/web runs it).

import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
export const OUT = join(here, "dist", "verify.html");

const cspHash = (text) => `sha256-${createHash("sha256").update(text, "utf8").digest("base64")}`;

export async function build() {
  const result = await esbuild.build({
    absWorkingDir: here,
    entryPoints: ["src/page.js"],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["es2022"],
    charset: "utf8",
    legalComments: "inline",
    minify: false,
    write: false,
    logLevel: "silent",
  });
  let script = result.outputFiles[0].text;
  // The script is inlined in HTML: no "</script" or "<!--" may appear in it.
  script = script.replace(/<\/script/gi, "<\\/script").replace(/<!--/g, "<\\!--");
  const style = readFileSync(join(here, "src", "style.css"), "utf8");
  const template = readFileSync(join(here, "src", "template.html"), "utf8");
  const fill = { "@SCRIPT_HASH@": cspHash(script), "@STYLE_HASH@": cspHash(style), "@STYLE@": style, "@SCRIPT@": script };
  return template.replace(/@(SCRIPT_HASH|STYLE_HASH|STYLE|SCRIPT)@/g, (m) => fill[m]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const html = await build();
  const digest = createHash("sha256").update(html, "utf8").digest("hex");
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(OUT, "utf8");
    } catch {
      current = "";
    }
    if (current !== html) {
      console.error(`${OUT} differs from a fresh build (sha256 ${digest}); run: cd web/verifier && npm ci && npm run build`);
      process.exit(1);
    }
    console.log(`${OUT} equals a fresh build; sha256 ${digest}`);
  } else {
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, html);
    console.log(`wrote ${OUT}; sha256 ${digest}`);
  }
}
