// The real desktop window: the debug binary under Xvfb, driven through tauri-driver and WebKitWebDriver.
// Run inside `xvfb-run`. The registry is prepared with `br`; the window opens it with the recovery
// passphrase (no credential store here), logs in, searches, opens a record and saves screenshots.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { copyFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ROOT, OUTPUT, SCREENSHOTS, br, freePort, startCentral, tempDir } from "./support.mjs";

const APP = process.env.BR_APP ?? join(ROOT, "target/debug/beneficiary-registry");
const PASSPHRASE = "window test recovery passphrase";
// Screenshots of the installed app get their own names beside those of the debug binary.
const PREFIX = process.env.SHOT_PREFIX ?? "";
let driver;
let browser;
let work;
let startupMs;
let central;

function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () =>
      fetch(`http://127.0.0.1:${port}/status`)
        .then(() => resolve())
        .catch(() => (Date.now() > deadline ? reject(new Error("tauri-driver did not start")) : setTimeout(attempt, 100)));
    attempt();
  });
}

before(async () => {
  work = tempDir("br-window-");
  const registry = join(work, "registry");
  const env = { BR_PASSPHRASE: PASSPHRASE, BR_USER: "admin", BR_PASSWORD: "window-admin-password", BR_REGISTRY: registry };
  br(["init", "--office-code", "WIN", "--office-name", "Window test office", "--areas", join(ROOT, "assets/demo/areas.csv")], env);
  copyFileSync(join(ROOT, "assets/demo/registrants.csv"), join(work, "demo.csv"));
  br(["import", join(work, "demo.csv")], env);
  // A cash program whose first cycle is approved, so the window can show a beneficiary's entitlement.
  br(["program", "create", "CASH", "--name", "Cash transfer", "--currency", "ETB"], env);
  br(["program", "activate", "CASH"], env);
  br(["program", "enrol", "CASH", "--all"], env);
  br(["cycle", "configure", "CASH", "--amount", "min(10000 + 2500 * size(members), 30000)"], env);
  br(["cycle", "create", "CASH", "--from-program"], env);
  br(["cycle", "generate", "CASH:1"], env);
  br(["cycle", "submit", "CASH:1"], env);
  br(["user", "add", "approver", "--role", "approver", "--name", "Approver"], { ...env, BR_NEW_PASSWORD: "approver-password-1" });
  br(["fund", "add", "CASH", "100000000", "--currency", "ETB", "--post"], env);
  br(["cycle", "approve", "CASH:1", "--stage", "1"], { ...env, BR_USER: "approver", BR_PASSWORD: "approver-password-1" });
  central = await startCentral([["WIN", true]]);

  // Free ports for tauri-driver and the WebKitWebDriver behind it (their defaults, 4444 and 4445, may be
  // held by another run or one not yet gone).
  const [port, nativePort] = [await freePort(), await freePort()];
  driver = spawn(process.env.TAURI_DRIVER ?? "tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    // The app inherits this environment: the registry folder, and no credential store.
    env: { ...process.env, BR_REGISTRY: registry, BR_KEYRING: "off" },
    stdio: ["ignore", "inherit", "inherit"],
    // Its own process group, which WebKitWebDriver and the app join: `after` ends them all together.
    detached: true,
  });
  await waitForPort(port, 15_000);
  const { remote } = await import("webdriverio");
  const started = Date.now();
  browser = await remote({
    hostname: "127.0.0.1",
    port,
    logLevel: "warn",
    capabilities: { browserName: "wry", "tauri:options": { application: APP }, "wdio:enforceWebDriverClassic": true },
  });
  try {
    await (await browser.$("h1=Open the registry")).waitForDisplayed({ timeout: 30_000 });
  } catch (e) {
    // What the window showed instead, for whoever reads the failure.
    await browser.saveScreenshot(join(SCREENSHOTS, `${PREFIX}window-failure.png`)).catch(() => {});
    writeFileSync(join(OUTPUT, `${PREFIX}window-failure.html`), await browser.getPageSource().catch(() => ""));
    throw e;
  }
  startupMs = Date.now() - started;
});

/** Whether any process of the group `pgid` is left. */
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Ends the driver's whole process group and waits until none of it is left: SIGTERM, then SIGKILL after
 * `graceMs`, then at most 5 s more (what outlives SIGKILL is a zombie, which holds nothing open).
 * A closed session normally ends the app, but under load it was sometimes left running after the driver
 * was gone, holding this test's output open, and the run hung (2 rounds in 20 under stress-ng).
 */
async function endProcessGroup(child, graceMs) {
  for (const [signal, waitMs] of [["SIGTERM", graceMs], ["SIGKILL", 5_000]]) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      return; // the group is already gone
    }
    const deadline = Date.now() + waitMs;
    while (groupAlive(child.pid) && Date.now() < deadline) await sleep(100);
    if (!groupAlive(child.pid)) return;
    console.error(`the window's processes outlived ${signal} by ${waitMs} ms`);
  }
}

after(async () => {
  await browser?.deleteSession().catch((e) => console.error(`closing the WebDriver session failed: ${e.message}`));
  // The driver, WebKitWebDriver and the app are gone before the next stage needs the port, the display or
  // this run's output.
  if (driver) await endProcessGroup(driver, 10_000);
  await central?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function shot(name) {
  // The next two frames are painted before the picture is taken (a screenshot right after a change can
  // show the old frame).
  await browser.execute(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await browser.pause(150);
  await browser.saveScreenshot(join(SCREENSHOTS, `${PREFIX}window-${name}.png`));
}

async function fill(label, value) {
  const input = await browser.$(`//label[starts-with(normalize-space(.), "${label}")]/following::input[1]`);
  await input.setValue(value);
}

test("the window opens the registry with the passphrase, logs in, searches and opens a record", async () => {
  await shot("01-unlock");
  await fill("Recovery passphrase", PASSPHRASE);
  await (await browser.$("button=Open")).click();
  await (await browser.$("h1=Log in")).waitForDisplayed({ timeout: 20_000 });
  await fill("User name", "admin");
  await fill("Password", "window-admin-password");
  await (await browser.$("button=Log in")).click();
  await (await browser.$("h2=Overview")).waitForDisplayed({ timeout: 20_000 });
  await (await browser.$('[data-testid="stat-People"]')).waitForDisplayed();
  assert.equal(await (await browser.$('[data-testid="stat-People"]')).getText(), "600");
  await shot("02-dashboard");

  // Names in Arabic and Ethiopic script, shown in the list, drawn in the fonts the app ships: this machine
  // has no Ethiopic font of its own, so a missing one would draw boxes.
  const search = await browser.$('input[placeholder="Reference, ID number, phone or name"]');
  await search.setValue("bilal");
  await browser.keys("Enter");
  await (await browser.$('[data-testid="registrant-row"]')).waitForDisplayed({ timeout: 20_000 });
  const toggleReveal = () => browser.execute(() => document.querySelector('[data-testid="list-reveal"]').click());
  await toggleReveal();
  await browser.waitUntil(async () => {
    const names = await browser.execute(() => document.body.innerText);
    return names.includes("بلال تراوري") && names.includes("ቢላል ሶው");
  }, { timeout: 20_000, timeoutMsg: "the Arabic and Ethiopic names are listed" });
  const faces = await browser.execute(async () => {
    const loaded = async (family, text) => (await document.fonts.load(`16px "${family}"`, text)).length;
    return { ethiopic: await loaded("Noto Sans Ethiopic", "ቢላል ሶው"), arabic: await loaded("Noto Sans Arabic", "بلال تراوري") };
  });
  assert.ok(faces.ethiopic > 0 && faces.arabic > 0, JSON.stringify(faces));
  await shot("03-names-in-three-scripts");
  execFileSync("import", ["-window", "root", join(SCREENSHOTS, `${PREFIX}window-03-screen-names.png`)]);
  await toggleReveal();

  await search.setValue("NID110336044");
  await browser.keys("Enter");
  // One record found by its ID number opens at once.
  await (await browser.$('[data-testid="detail-name"]')).waitForDisplayed({ timeout: 20_000 });
  await shot("04-beneficiary");
  await (await browser.$("button*=Entitlements")).click();
  const entitlements = await browser.$('[data-testid="beneficiary-entitlements"]');
  await entitlements.waitForDisplayed({ timeout: 20_000 });
  const text = await entitlements.getText();
  // (WebKit leaves the uppercase state badge out of the element's text; the approval line says it.)
  assert.ok(text.includes("Cash transfer (CASH)"), text);
  assert.ok(text.includes("stage 1: approved · approver"), text);
  await shot("05-entitlements");

  // The whole screen, window decorations included, as a person would see it.
  execFileSync("import", ["-window", "root", join(SCREENSHOTS, `${PREFIX}window-05-screen.png`)]);
  writeFileSync(join(OUTPUT, `${PREFIX}window-startup.json`), JSON.stringify({ start_to_first_screen_ms: startupMs }) + "\n");
  console.log(`start to the first screen (WebDriver session + window + UI): ${startupMs} ms`);
});

test("the window enrols the desk with the central server, syncs and shows it in the header", async () => {
  await (await browser.$("a=Settings")).click();
  await (await browser.$("button=Central server")).click();
  await fill("Server address", central.url);
  await fill("Enrolment code", central.code("WIN"));
  await (await browser.$('[data-testid="sync-enrol"]')).click();
  await (await browser.$('[data-testid="sync-status"]')).waitForDisplayed({ timeout: 30_000 });
  await (await browser.$('[data-testid="sync-run"]')).click();
  const label = await browser.$('[data-testid="sync-label"]');
  await browser.waitUntil(async () => (await label.getText()).startsWith("Synced"), { timeout: 120_000, timeoutMsg: "the sync did not finish" });
  assert.ok(await (await browser.$('[data-testid="sync-indicator"]')).isDisplayed());
  await shot("06-central-server");
});
