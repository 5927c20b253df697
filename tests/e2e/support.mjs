// Shared by the end-to-end tests: the `br` binary, a throwaway `br serve`, Debian's Chromium, and where
// screenshots go.
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, copyFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";

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

/**
 * What a reader would find wrong with the page's layout, measured in the browser: text cut by its box (an
 * element that hides its overflow and holds more than it shows), chart labels that overlap each other or
 * leave their chart, and dates or ISO-like codes (2027-01) whose digits a right-to-left page turned around.
 */
export async function layoutProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
    const main = document.querySelector("main") ?? document.body;
    for (const el of main.querySelectorAll("td, th, button, a, p, span, label, .mantine-Badge-label, .mantine-Button-label")) {
      // Text for screen readers only is meant to be cut to nothing.
      if (!visible(el) || !el.textContent.trim() || el.closest(".mantine-VisuallyHidden-root")) continue;
      const cs = getComputedStyle(el);
      const hides = ["hidden", "clip"].includes(cs.overflowX) || cs.textOverflow === "ellipsis";
      if (hides && el.scrollWidth > el.clientWidth + 1) problems.push(`cut: "${el.textContent.trim().slice(0, 60)}"`);
    }
    const near = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
    for (const svg of main.querySelectorAll("svg.recharts-surface")) {
      if (!visible(svg)) continue;
      const box = svg.getBoundingClientRect();
      const labels = [...svg.querySelectorAll(".recharts-cartesian-axis-tick text, .recharts-pie-label-text, .recharts-label")]
        .filter((t) => t.textContent.trim())
        .map((t) => ({ text: t.textContent.trim(), r: t.getBoundingClientRect() }));
      for (const l of labels) {
        if (l.r.left < box.left - 1 || l.r.right > box.right + 1 || l.r.top < box.top - 1 || l.r.bottom > box.bottom + 1) {
          problems.push(`leaves its chart: "${l.text}"`);
        }
      }
      for (let i = 0; i < labels.length; i++) {
        for (let j = i + 1; j < labels.length; j++) {
          if (near(labels[i].r, labels[j].r)) problems.push(`overlap: "${labels[i].text}" and "${labels[j].text}"`);
        }
      }
    }
    // Digits read left to right in every language: the first digit of 2027-01 is drawn left of its last.
    const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.parentElement || !visible(node.parentElement)) continue;
      for (const m of node.textContent.matchAll(/\d{4}-\d{2}(?:-\d{2})?/g)) {
        const first = document.createRange();
        first.setStart(node, m.index);
        first.setEnd(node, m.index + 1);
        const last = document.createRange();
        last.setStart(node, m.index + m[0].length - 1);
        last.setEnd(node, m.index + m[0].length);
        const [a, b] = [first.getBoundingClientRect(), last.getBoundingClientRect()];
        if (a.width && b.width && Math.abs(a.top - b.top) < 2 && a.left > b.left) problems.push(`digits turned around: "${m[0]}"`);
      }
    }
    return [...new Set(problems)];
  });
}

export const BR_SERVER = process.env.BR_SERVER_BIN ?? join(ROOT, "target/debug/br-server");

/** A TCP port nobody listens on now: the system picks it, so two runs never fight over a fixed one. */
export function freePort() {
  return new Promise((done, fail) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
    s.once("error", fail);
  });
}

/** PostgreSQL's programs, from Debian's package (or PATH). */
function pgBin(name) {
  try {
    const dir = execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim();
    return join(dir, name);
  } catch {
    const versions = execFileSync("ls", ["/usr/lib/postgresql"], { encoding: "utf8" }).trim().split("\n").sort((a, b) => Number(a) - Number(b));
    return join("/usr/lib/postgresql", versions.pop(), "bin", name);
  }
}

/**
 * A central server for one test: a throwaway PostgreSQL cluster (as the postgres user when run as root),
 * `br-server migrate`, the given offices, and `br-server serve` on a free loopback port. Resolves to
 * { url, db, code(office), stop() }; stop() ends the server and the cluster, and removes the folder.
 */
export async function startCentral(offices) {
  const dir = tempDir("br-central-");
  const root = process.getuid?.() === 0;
  const asPg = (program, args) =>
    root ? execFileSync("runuser", ["-u", "postgres", "--", program, ...args], { encoding: "utf8" }) : execFileSync(program, args, { encoding: "utf8" });
  if (root) execFileSync("chown", ["-R", "postgres:postgres", dir]);
  const data = join(dir, "data");
  asPg(pgBin("initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const port = await freePort();
  asPg(pgBin("pg_ctl"), ["-D", data, "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "-l", join(dir, "log"), "-w", "start"]);
  const db = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const env = { ...process.env, BR_SERVER_DATABASE_URL: db };
  const admin = (args) => execFileSync(BR_SERVER, args, { env, encoding: "utf8" });
  let child;
  const stopCluster = () => {
    try {
      asPg(pgBin("pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    admin(["migrate"]);
    for (const [code, headquarters] of offices) admin(["office", "add", code, "--name", `Office ${code}`, ...(headquarters ? ["--headquarters"] : [])]);
    child = spawn(BR_SERVER, ["serve", "--listen", "127.0.0.1:0"], { env: { ...env, BR_SERVER_LOG: "warn" }, stdio: ["ignore", "pipe", "inherit"] });
    const url = await new Promise((done, fail) => {
      let out = "";
      child.stdout.on("data", (chunk) => {
        out += chunk;
        const m = out.match(/listening at (http:\/\/[^/\s]+)\//);
        if (m) done(m[1]);
      });
      child.once("exit", (code) => fail(new Error(`br-server exited with ${code}: ${out}`)));
    });
    return {
      url,
      db,
      code: (office) => admin(["device", "code", office]).trim(),
      stop: async () => {
        await new Promise((done) => {
          child.once("exit", done);
          child.kill("SIGTERM");
        });
        stopCluster();
      },
    };
  } catch (e) {
    child?.kill("SIGKILL");
    stopCluster();
    throw e;
  }
}
