// Shared by the end-to-end tests: the `br` binary, a throwaway `br serve`, Debian's Chromium, and where
// screenshots go.
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const BR = process.env.BR_BIN ?? join(ROOT, "target/debug/br");
export const OUTPUT = join(ROOT, "target/test-output");
export const SCREENSHOTS = join(OUTPUT, "screenshots");
mkdirSync(SCREENSHOTS, { recursive: true });

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function br(args, env = {}) {
  return execFileSync(BR, args, { env: { ...process.env, BR_KEYRING: "off", ...env }, encoding: "utf8" });
}

/** Starts `br serve` on a free port; resolves to { url, stop }. */
export function serve(registry, env = {}) {
  const child = spawn(BR, ["--registry", registry, "serve", "--listen", "127.0.0.1:0", "--ui", join(ROOT, "ui/dist")], {
    env: { ...process.env, BR_KEYRING: "off", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolvePromise, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/at (http:\/\/[^/]+)\//);
      if (m) {
        resolvePromise({
          url: m[1],
          stop: () =>
            new Promise((done) => {
              child.once("exit", done);
              child.kill("SIGTERM");
            }),
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`br serve exited with ${code} before it listened: ${out}`)));
  });
}

/** One request to `br serve`'s API, as the UI sends it. */
export async function appRequest(url, request) {
  const response = await fetch(`${url}/api/app`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(request) });
  const body = await response.json();
  if (!response.ok) throw new Error(`${request.action} failed: ${JSON.stringify(body)}`);
  return body;
}

export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** Saves a screenshot into the test output, and into docs/screenshots when the README's guide is refreshed. */
export async function screenshot(page, name) {
  // Two animation frames: the page has painted what the last action changed.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  if (process.env.BR_UPDATE_SCREENSHOTS === "1") {
    mkdirSync(join(ROOT, "docs/screenshots"), { recursive: true });
    copyFileSync(path, join(ROOT, "docs/screenshots", `${name}.png`));
  }
  return path;
}

/** Runs axe-core on the page; returns the serious and critical violations. */
export async function seriousViolations(page) {
  const { default: AxeBuilder } = await import("@axe-core/playwright");
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
}
