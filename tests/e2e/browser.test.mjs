// The registry in a browser, against `br serve`: the journeys of a first morning and a Monday import, as a
// program officer would click through them, with axe-core checks on each main page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign } from "node:crypto";
import { ROOT, appRequest, br, launchChromium, layoutProblems, screenshot, seriousViolations, serve, startCentral, tempDir } from "./support.mjs";

const ADMIN = { username: "admin", password: "admin-password-1" };
let server;
let browser;
let page;
let work;
let paidCycle;
const axeFindings = {};

/** Chooses a file in a file field: in a browser the file is uploaded, never named by a server path. */
async function choose(field, path) {
  const chooser = page.waitForEvent("filechooser");
  await field.click();
  await (await chooser).setFiles(path);
}

/** Runs `action` and saves the download it starts to `path` (a payment file's summary comes down too). */
async function downloaded(action, path) {
  const download = page.waitForEvent("download", { predicate: (d) => !d.suggestedFilename().endsWith(".summary.csv") });
  await action();
  await (await download).saveAs(path);
}

async function checkAccessibility(name) {
  axeFindings[name] = await seriousViolations(page);
}

before(async () => {
  work = tempDir("br-browser-");
  // A generated file large enough for the progress bar to be watched, and its areas.
  br(["gen", "--individuals", "60000", "--out", join(work, "gen"), "--seed", "7", "--id-prefix", "GEN"]);
  // A copy, so the rejects file the import writes beside it stays out of the repository.
  copyFileSync(join(ROOT, "assets/demo/registrants.csv"), join(work, "demo.csv"));
  // Another system's export: French headers, its own sex codes, day-first dates, no column named as an ID.
  writeFileSync(
    join(work, "sr.csv"),
    "Numéro,Prénom,Nom,Sexe,Date de naissance,Mobile\nSR1,Awa,Diallo,F,03/04/1990,0911000001\nSR2,Ali,Diallo,M,25/12/1985,0911000002\nSR3,Fanta,Keita,Femme,1/6/2001,\n",
  );
  // The same people in a workbook's second sheet (dates as serials, a formula) and in CSV.
  for (const name of ["people.xlsx", "people.csv"]) copyFileSync(join(ROOT, "tests/data/import", name), join(work, name));
  // An import holds after each batch while `hold` exists, so the test sees its progress bar mid-way.
  server = await serve(join(work, "registry"), { BR_TEST_HOLD_AFTER_BATCH: join(work, "hold") });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1366, height: 850 } });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test("first morning: the wizard creates the registry and logs the admin in", async () => {
  await page.goto(server.url);
  await page.getByLabel("Office name").fill("Demo district");
  await page.getByLabel("Office code").fill("DEMO");
  // Everything is kept unless the office chooses less (docs/privacy.md).
  for (const field of ["Names", "Phone numbers", /^Full birth dates/, /^ID numbers as typed/]) {
    assert.equal(await page.getByLabel(field).isChecked(), true);
  }
  await screenshot(page, "01-first-run-wizard");
  await checkAccessibility("wizard");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("User name").fill(ADMIN.username);
  await page.getByLabel("Full name").fill("Office admin");
  await page.getByLabel(/^Password/).fill(ADMIN.password);
  await page.getByLabel("Type the password again").fill(ADMIN.password);
  await page.getByRole("button", { name: "Next" }).click();
  const passphrase = (await page.getByTestId("recovery-passphrase").textContent()).trim();
  assert.match(passphrase, /^([a-z2-9]{4}-){5}[a-z2-9]{4}$/);
  const create = page.getByRole("button", { name: "Create the registry" });
  assert.equal(await create.isDisabled(), true, "creating needs the passphrase typed back");
  await page.getByLabel("Type the passphrase back from your paper").fill(passphrase.toUpperCase().replaceAll("-", " "));
  await create.click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  await page.getByText("The registry is empty").waitFor();

  // The office's areas, through the same API the UI uses.
  const login = await appRequest(server.url, { action: "login", ...ADMIN });
  const areas = readFileSync(join(ROOT, "assets/demo/areas.csv"), "utf8").trim().split("\n").slice(1);
  for (const line of areas) {
    const [code, label] = line.split(",");
    await appRequest(server.url, {
      action: "call",
      token: login.token,
      command: "lists.upsert",
      payload: { list: "area", item: { code, label, parent: null, active: true } },
    });
  }
  await appRequest(server.url, { action: "logout", token: login.token });
});

test("Monday import: preview, progress bar, summary", async () => {
  await page.getByRole("link", { name: "Import" }).click();
  await choose(page.getByLabel(/^File/), join(work, "gen/registrants.csv"));
  await checkAccessibility("import");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByText("Date format of the file").waitFor();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByTestId("preview-verdict").waitFor();
  assert.match(await page.getByTestId("preview-verdict").textContent(), /First 20 rows: 0 would be rejected/);
  await screenshot(page, "03-import-preview");
  // The bar moves: held after its first batch, the import shows it between 0 and 100%; released, it ends
  // and the summary replaces the bar.
  writeFileSync(join(work, "hold"), "");
  await page.getByTestId("import-run").click();
  const bar = page.getByTestId("import-progress");
  await bar.waitFor();
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-testid="import-progress"] [role="progressbar"], [data-testid="import-progress"][role="progressbar"]');
    const v = Number(el?.getAttribute("aria-valuenow") ?? 0);
    return v > 0 && v < 100;
  });
  await screenshot(page, "04-import-progress");
  rmSync(join(work, "hold"));
  await page.getByTestId("import-summary").waitFor({ timeout: 120_000 });
  assert.equal(await page.getByTestId("summary-rows_read").textContent(), "60,000");
  await screenshot(page, "05-import-summary");

  // The demo file too: its first row is the person the next tests look for.
  await page.getByRole("button", { name: "Import another file" }).click();
  await choose(page.getByLabel(/^File/), join(work, "demo.csv"));
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByText("Date format of the file").waitFor();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByTestId("import-run").click();
  await page.getByTestId("import-summary").waitFor();
  assert.equal(await page.getByTestId("summary-inserted").textContent(), "600");
});

/** Each previewed row's problems, as shown. */
async function rowProblems() {
  return page.getByTestId("row-errors").evaluateAll((cells) => cells.map((c) => c.textContent));
}

test("another system's files: guessed columns and values, a workbook's second sheet judged as its CSV", async () => {
  await page.getByRole("button", { name: "Import another file" }).click();
  await choose(page.getByLabel(/^File/), join(work, "sr.csv"));
  await page.getByRole("button", { name: "Next" }).click();
  // The file reaches the mapping step with its columns guessed; what is still missing is said, in words.
  await page.getByTestId("import-missing").getByText("External ID").waitFor();
  assert.equal(await page.getByText("guessed", { exact: true }).count(), 6, "five columns and the date format");
  assert.ok(await page.getByTestId("import-columns-next").isDisabled());
  await screenshot(page, "03b-import-guessed-columns");
  await pick(page.getByTestId("column-Numéro"), "External ID");
  await page.getByTestId("import-missing").waitFor({ state: "detached" });
  await page.getByTestId("import-columns-next").click();
  // The file's sex codes are matched to the registry's, and its day-first dates read with the guessed format.
  const sexes = page.getByTestId("import-values-sex");
  await sexes.waitFor();
  for (const value of ["F", "Femme"]) assert.equal(await sexes.getByTestId(`value-sex-${value}`).inputValue(), "Female");
  assert.equal(await sexes.getByTestId("value-sex-M").inputValue(), "Male");
  assert.match(await page.getByTestId("preview-verdict").textContent(), /First 3 rows: 0 would be rejected/);
  await screenshot(page, "03c-import-values");
  await page.getByTestId("import-run").click();
  await page.getByTestId("import-summary").waitFor();
  assert.equal(await page.getByTestId("summary-inserted").textContent(), "3");

  // A workbook opens on its first sheet; its second holds the people, judged as the same data in CSV is.
  await page.getByRole("button", { name: "Import another file" }).click();
  await choose(page.getByLabel(/^File/), join(work, "people.csv"));
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByTestId("import-columns-next").click();
  await page.getByTestId("preview-verdict").getByText("First 4 rows: 2 would be rejected").waitFor();
  const fromCsv = await rowProblems();
  assert.equal(fromCsv.length, 2);
  await page.getByRole("button", { name: "Back" }).click();
  await page.getByRole("button", { name: "Back" }).click();
  await choose(page.getByLabel(/^File/), join(work, "people.xlsx"));
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByTestId("import-missing").waitFor();
  await pick(page.getByTestId("import-sheet"), "People");
  await page.getByTestId("import-missing").waitFor({ state: "detached" });
  await page.getByTestId("import-columns-next").click();
  await page.getByTestId("preview-verdict").getByText("First 4 rows: 2 would be rejected").waitFor();
  assert.deepEqual(await rowProblems(), fromCsv);
  await screenshot(page, "03d-import-workbook-sheet");
});

test("search by name and by ID, open a beneficiary, reveal the ID and find the reveal in the audit log", async () => {
  await page.getByRole("link", { name: "Home" }).click();
  // The cached count shows at once and is replaced when the refetch the import's change event asked for lands.
  await page.getByTestId("stat-People").filter({ hasText: "60,603" }).waitFor();
  await screenshot(page, "02-dashboard");
  await checkAccessibility("home");

  await page.getByLabel("Search", { exact: true }).first().fill("تراوري");
  await page.keyboard.press("Enter");
  await page.getByText("found by name").waitFor();
  assert.ok((await page.getByTestId("registrant-row").count()) > 0);
  await screenshot(page, "06-search-by-name");
  await checkAccessibility("beneficiaries");

  // Typed on a Latin keyboard, a name is found in Arabic and Ethiopic script too, after the exact matches.
  const reveal = page.getByRole("switch", { name: /Show personal data/ });
  await reveal.check();
  await page.getByTestId("list-search").fill("bilal traore");
  // The count of this search, not the one before it (the Arabic search found other scripts too).
  await page.getByTestId("list-count").getByText(/· 19 by a similar spelling or another script/).waitFor();
  const rows = page.getByTestId("registrant-row");
  await rows.first().getByText("Bilal Traoré").waitFor();
  assert.equal(await rows.first().getByText("similar spelling").count(), 0, "the letters typed come first");
  // The 33 exact matches fill the screen; the list draws only the rows in view, so scroll to the others.
  const list = page.getByTestId("registrant-list");
  await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await rows.filter({ hasText: "بلال تراوري" }).filter({ hasText: "similar spelling" }).first().waitFor();
  await rows.filter({ hasText: "ቢላል ትራኦሬ" }).filter({ hasText: "similar spelling" }).first().waitFor();
  // The names on screen are drawn in the fonts the app ships: this Chromium has no Ethiopic font of its own.
  for (const [family, text] of [["Noto Sans Ethiopic", "ቢላል"], ["Noto Sans Arabic", "بلال"]]) {
    const faces = await page.evaluate(async ([f, t]) => (await document.fonts.load(`16px "${f}"`, t)).map((face) => face.family), [family, text]);
    assert.ok(faces.length > 0, `${family} is loaded for ${text}`);
  }
  await screenshot(page, "06b-search-across-scripts");
  // Opened from a list that shows personal data, the record shows it too.
  await list.evaluate((el) => el.scrollTo(0, 0));
  await rows.first().getByText("Bilal Traoré").waitFor();
  await rows.first().getByRole("link").first().click();
  await page.getByTestId("detail-name").getByText("Bilal Traoré").waitFor();
  await page.goBack();
  await reveal.uncheck();

  // An ID's digits without its letters find its holder; Enter on a single match opens the record.
  await page.getByTestId("list-search").fill("110336044");
  await page.getByText("found by ID number").waitFor();
  assert.equal(await page.getByTestId("registrant-row").count(), 1);
  await page.getByTestId("list-search").press("Enter");
  await page.getByTestId("detail-name").waitFor();
  const masked = await page.getByTestId("id-national_id").textContent();
  assert.notEqual(masked, "NID110336044", "IDs are masked until revealed");
  await screenshot(page, "07-beneficiary-masked");
  await checkAccessibility("beneficiary");
  await page.getByTestId("reveal").click();
  await page.getByTestId("id-national_id").getByText("NID110336044").waitFor();
  assert.equal(await page.getByTestId("detail-name").textContent(), "بلال تراوري");

  await page.getByRole("link", { name: "Audit log" }).click();
  await page.getByTestId("audit-action").fill("registrant.reveal");
  await page.getByTestId("audit-table").getByText("registrant.reveal").first().waitFor();
  await page.getByRole("button", { name: "Check the chain" }).click();
  await page.getByTestId("audit-verify").getByText("The audit chain is intact").waitFor();
  await screenshot(page, "08-audit-log");
  await checkAccessibility("audit");
});

/** Confirms the dialog a consequential button opened, once it says what will happen. */
async function confirmDialog(consequence) {
  const dialog = page.getByRole("dialog");
  await dialog.getByTestId("consequence").filter({ hasText: consequence }).waitFor();
  await dialog.getByTestId("confirm").click();
  await dialog.waitFor({ state: "hidden" });
}

/** Chooses `option` in the Mantine select `field`. */
async function pick(field, option) {
  await field.click();
  await page.getByRole("option", { name: option, exact: true }).click();
}

test("a registrar's records: a household of three, a new head, a name corrected, a child moved", async () => {
  await page.getByRole("link", { name: "Households" }).click();
  const other = (await page.getByTestId("registrant-row").first().getByRole("link").textContent()).trim();
  await page.getByTestId("register-household").click();
  await page.getByTestId("household-group-name").fill("Sow household");
  await page.getByTestId("member-0-given").fill("Awa");
  await page.getByTestId("member-0-family").fill("Sow");
  await pick(page.getByTestId("member-0-sex"), "Female");
  for (const [i, given, sex, kind] of [[1, "Moussa", "Male", "Spouse"], [2, "Fanta", "Female", "Child"]]) {
    await page.getByTestId("household-add-member").click();
    await page.getByTestId(`member-${i}-given`).fill(given);
    await page.getByTestId(`member-${i}-family`).fill("Sow");
    await pick(page.getByTestId(`member-${i}-sex`), sex);
    await pick(page.getByTestId(`member-${i}-kind`), kind);
  }
  await page.getByTestId("household-save").click();
  await page.getByText(/registered with 3 members/).waitFor();
  await page.getByRole("tab", { name: "Members" }).click();
  const rows = page.getByTestId("household-member-row");
  await rows.nth(2).waitFor();
  assert.equal(await rows.count(), 3);
  const references = await rows.getByRole("link").allTextContents();

  // Moussa becomes head; Awa stays, as his spouse.
  await page.getByRole("button", { name: `Actions for ${references[1]}` }).click();
  await page.getByRole("menuitem", { name: "Make head of household" }).click();
  await page.getByTestId("change-consequence").getByText(/stays a member/).waitFor();
  await page.getByTestId("change-confirm").click();
  await rows.filter({ hasText: references[1] }).getByText("Head", { exact: true }).last().waitFor();
  await rows.filter({ hasText: references[0] }).getByText("Spouse").waitFor();
  await screenshot(page, "07b-household-new-head");

  // Fanta's name is corrected; the edit is reviewed before it is saved and the history says it in words.
  await page.getByRole("link", { name: references[2] }).click();
  await page.getByTestId("edit").click();
  await page.getByTestId("edit-given").fill("Fatoumata");
  await page.getByTestId("edit-review").click();
  await page.getByTestId("edit-changes").getByText("Given name").waitFor();
  await page.getByTestId("edit-changes").getByText("Fatoumata").waitFor();
  await screenshot(page, "07c-edit-review");
  await page.getByTestId("edit-save").click();
  await page.getByText("Saved: one change.").waitFor();
  await page.getByTestId("reveal").click();
  await page.getByTestId("detail-name").getByText("Fatoumata Sow").waitFor();
  await page.getByRole("tab", { name: "History" }).click();
  await page.getByTestId("history").getByText("Edited").waitFor();
  await page.getByTestId("history").getByText(/^Given name: .+ → .+$/).waitFor();

  // She moves to another household; her old place is kept, ended.
  await page.getByRole("tab", { name: "Household" }).click();
  await page.getByRole("button", { name: /^Actions for / }).click();
  await page.getByRole("menuitem", { name: "Move to another household" }).click();
  await page.getByTestId("change-reference").fill(other);
  await pick(page.getByTestId("change-kind"), "Child");
  await page.getByTestId("change-consequence").getByText(`joins ${other}`).waitFor();
  await page.getByTestId("change-confirm").click();
  await page.getByTestId("household-members").getByRole("link", { name: other }).waitFor();
  assert.equal(await page.getByTestId("household-member-row").count(), 1, "one current household");
  await checkAccessibility("beneficiary-edited");
});

test("a new program: wizard, a rule with an error, the live count, enrol, pause, the beneficiary's programs", async () => {
  await page.getByRole("link", { name: "Programs" }).click();
  await page.getByTestId("program-new").click();
  await page.getByTestId("program-code").fill("ELD");
  await page.getByTestId("program-currency").fill("ETB");
  await page.getByTestId("program-name").fill("Elderly grant");
  await page.getByTestId("wizard-next").click();
  // The builder writes the rule from lists: women aged 60 or more.
  const builder = page.getByTestId("rule-builder");
  await builder.getByTestId("builder-add").click();
  await pick(builder.getByTestId("builder-condition-0").getByTestId("builder-field"), "Sex");
  await pick(builder.getByTestId("builder-condition-0").getByTestId("builder-value"), "Female");
  await builder.getByTestId("builder-add").click();
  await pick(builder.getByTestId("builder-condition-1").getByTestId("builder-operator"), "is at least");
  await builder.getByTestId("builder-condition-1").getByTestId("builder-value").fill("60");
  await page.waitForFunction(() => document.querySelector('[data-testid="rule-editor"]').value === 'me.sex == "female" && me.age >= 60');
  // The count follows: women of 60 or more are fewer than half the registry.
  await page.waitForFunction(() => {
    const n = Number(document.querySelector('[data-testid="rule-preview-count"]')?.textContent.split(" ")[0].replace(/[^0-9]/g, ""));
    return n > 0 && n < 30000;
  });
  await screenshot(page, "10b-rule-builder");
  // Typed by hand, the usual mistakes are named in plain words.
  await page.getByTestId("rule-editor").fill("me.sex = female");
  await page.getByTestId("rule-hint").getByText("`=` alone does not compare: write `==`").waitFor();
  await page.getByTestId("rule-editor").fill('me.sex == "Female"');
  await page.getByTestId("rule-warning").getByText('"Female" is not a sex code, so it selects nobody; the codes are: female, male, other').waitFor();
  await page.getByTestId("builder-condition-0").getByTestId("builder-value").waitFor();
  await page.getByTestId("rule-editor").fill("me.birthdate <= '1960-01-01'");
  await page.getByTestId("rule-error").getByText("unknown field 'birthdate' of me").waitFor();
  await page.getByTestId("rule-error").getByText("birth_date", { exact: false }).first().waitFor();
  assert.equal(await page.getByTestId("wizard-next").isDisabled(), true, "an invalid rule cannot go on");
  await page.getByTestId("rule-editor").fill("age(me.birth_date) >= 65 && !('DIS' in programs)");
  const count = page.getByTestId("rule-preview-count");
  await count.waitFor();
  const preview = Number((await count.textContent()).split(" ")[0].replace(/[^0-9]/g, ""));
  assert.ok(preview > 100, `the rule selects people: ${preview}`);
  await screenshot(page, "11-rule-editor");
  await checkAccessibility("program-wizard");
  await page.getByTestId("wizard-next").click();
  await page.getByTestId("program-create").click();
  await page.getByTestId("program-state").getByText("Draft").waitFor();
  await page.getByTestId("program-activate").click();
  await confirmDialog("becomes active: people can be enrolled and cycles created");
  await page.getByTestId("program-state").getByText("Active").waitFor();
  await page.getByTestId("enrol-all").click();
  await confirmDialog(`The rule now selects ${preview.toLocaleString("en-US")} people`);
  await page.getByTestId("enrol-summary").waitFor();
  await page.getByTestId("count-enrolled").filter({ hasText: preview.toLocaleString("en-US") }).waitFor();
  await page.getByTestId("member-table").getByRole("checkbox").first().check();
  await page.getByTestId("member-bulk-bar").getByRole("button", { name: "Pause" }).click();
  await page.getByTestId("count-paused").filter({ hasText: "1" }).waitFor();
  await screenshot(page, "12-program");
  await checkAccessibility("program");

  // Each count opens the list of the people it counts.
  await page.getByTestId("count-paused").click();
  await page.waitForURL(/members\?state=paused/);
  assert.equal(await page.getByRole("textbox", { name: "State" }).inputValue(), "Paused");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="member-table"] tbody tr').length === 1);
  await page.getByTestId("member-table").getByRole("link").first().click();
  await page.getByTestId("detail-name").waitFor();
  await page.getByRole("tab", { name: "Programs" }).click();
  await page.getByTestId("beneficiary-programs").getByText("Elderly grant").waitFor();
  await page.getByTestId("beneficiary-programs").getByText("Paused").waitFor();
});

/** Locks the app and logs in as another user, as people share the office laptop. */
async function relogin(username, password = "user-password-1") {
  await page.getByTestId("user-menu").click();
  await page.getByRole("menuitem", { name: "Lock" }).click();
  await page.getByLabel("User name").fill(username);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  // The app opens where it was locked.
  await page.getByTestId("user-menu").waitFor();
}

/** Moves to a page of the app without reloading it (a reload would end the session, as it should). */
async function go(hash) {
  await page.evaluate((h) => {
    window.location.hash = h;
  }, hash);
}

test("a cycle: entitlements generated, approved by someone else once funds are posted, paid, reconciled; the beneficiary sees it", async () => {
  const admin = await appRequest(server.url, { action: "login", ...ADMIN });
  for (const [username, role] of [["amina", "approver"], ["fatou", "finance"]]) {
    await appRequest(server.url, {
      action: "call",
      token: admin.token,
      command: "users.add",
      payload: { username, display_name: username, role, password: "user-password-1" },
    });
  }
  await appRequest(server.url, { action: "logout", token: admin.token });

  // The officer (admin here) sets the entitlement rule, creates the cycle, generates and sends it.
  await page.getByRole("link", { name: "Programs" }).click();
  await page.getByRole("link", { name: "ELD" }).click();
  await page.getByTestId("tab-cycles").click();
  // The amount is typed in birr; the expression is written from it, and what it gives is shown before saving.
  await page.getByTestId("amount-base").fill("100");
  await page.getByTestId("amount-per-member").fill("25");
  await page.getByTestId("amount-cap").fill("300");
  await page.waitForFunction(() => document.querySelector('[data-testid="rule-editor"]').value === "min(10000 + 2500 * household.size, 30000)");
  await page.getByTestId("amount-preview").getByText(/^For the [\d,]+ people enrolled: ETB\s?[\d,]+\.\d\d in total/).waitFor();
  await page.getByTestId("amount-preview").getByText(/^From ETB\s?1\d\d\.\d\d to ETB\s?300\.00 a person\.$/).waitFor();
  assert.equal(await page.getByTestId("cycle-create").isDisabled(), true, "a cycle waits for the settings to be saved");
  await screenshot(page, "13d-amount-preview");
  await page.getByTestId("rule-editor").fill("min(10000 + 2500 * size(members), 30000)");
  await page.getByTestId("amount-by-hand").waitFor();
  await page.getByTestId("disbursement-save").click();
  await page.getByText("Saved.").waitFor();
  await page.getByTestId("cycle-create").click();
  await page.getByTestId("cycle-state").getByText("Draft").waitFor();
  const cycleHash = new URL(page.url()).hash;
  const cycleId = decodeURIComponent(cycleHash.split("/").pop());
  paidCycle = cycleId;
  await page.getByTestId("cycle-generate").click();
  await page.getByTestId("cycle-message").getByText(/entitlements generated/).waitFor();
  await page.getByTestId("cycle-submit").click();
  await page.getByTestId("cycle-state").getByText("To approve").waitFor();

  // The approver's home says the cycle waits for her; no funds are posted yet, so the approval is refused,
  // saying by how much, and the dialog keeps her comment.
  await relogin("amina");
  await go("#/");
  const waiting = page.getByTestId("work-approve_cycle");
  await waiting.getByText(/^Stage 1, .* entitlements: [\d,]+ · ETB/).waitFor();
  await screenshot(page, "13c-approver-home");
  await waiting.getByRole("link", { name: /^Decide on / }).click();
  await page.getByTestId("approve-stage-1").click();
  await page.getByTestId("decision-comment").fill("Checked against the list");
  await page.getByTestId("decision-confirm").click();
  await page.getByRole("dialog").getByText(/Not enough posted funds for this approval: ETB\s?[\d,.]+ short/).waitFor();
  assert.equal(await page.getByTestId("decision-comment").inputValue(), "Checked against the list");
  assert.equal(await page.getByTestId("add-funds-link").count(), 0, "an approver cannot add funds");
  assert.equal(await page.getByTestId("cycle-state").textContent(), "To approve");
  const finance = await appRequest(server.url, { action: "login", username: "fatou", password: "user-password-1" });
  const call = (command, payload) => appRequest(server.url, { action: "call", token: finance.token, command, payload });
  const shortBy = (await call("work.queue", {})).items.find((i) => i.kind === "add_funds");
  const summary = await call("cycles.get", { cycle: cycleId });
  assert.equal(shortBy.amount, summary.total_amount + summary.total_fee, "finance is told what the cycle lacks");
  await call("funds.add", { program: { code: "ELD" }, amount: shortBy.amount, currency: "ETB", reference: "Treasury transfer", post: true });
  await appRequest(server.url, { action: "logout", token: finance.token });
  await page.getByTestId("decision-confirm").click();
  await page.getByTestId("cycle-state").getByText("Approved").waitFor();
  await page.getByTestId("approval-record").getByText(/amina/).waitFor();
  await screenshot(page, "14-cycle-approved");
  await checkAccessibility("cycle");

  // Finance prepares the payments, writes the provider's file, marks it sent and imports the report.
  await relogin("fatou");
  await go("#/");
  await page.getByTestId("work-prepare_payments").getByRole("link", { name: /^Prepare the payments of / }).click();
  await page.getByTestId("payments-prepare").click();
  await page.getByTestId("cycle-message").getByText(/payments in 1 batches/).waitFor();
  // The count of those left unpaid for want of an address opens the list of who they are.
  const missing = Number(/(\d+) without a financial address/.exec(await page.getByTestId("cycle-message").textContent())[1]);
  assert.ok(missing > 0, "the demo has elderly people without a phone or an ID, so without an address");
  await page.getByTestId("show-no-address").click();
  await page.waitForURL(/show=no_address/);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="entitlement-table"] tbody tr').length === n, Math.min(missing, 100));
  assert.equal(await page.getByTestId("entitlement-table").locator("tbody tr").filter({ hasNotText: "Approved" }).count(), 0);
  await page.getByTestId("batch-table").getByRole("button", { name: "Payment file" }).click();
  // In a browser the files come down as downloads (the payment file, then its summary).
  await downloaded(() => page.getByTestId("payment-file-save").click(), join(work, "payments.csv"));
  await page.getByTestId("cycle-message").getByText(/payments written/).waitFor();
  await page.getByTestId("batch-sent-1").click();
  await page.getByTestId("batch-table").getByText("sent").waitFor();
  const header = readFileSync(join(work, "payments.csv"), "utf8").trim().split("\n")[0].split(",");
  const rows = readFileSync(join(work, "payments.csv"), "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
  assert.ok(rows.length > 10, `payments prepared: ${rows.length}`);
  const col = (name) => header.indexOf(name);
  const report = ["payment_id,status,external_ref,reason"];
  rows.forEach((r, i) => report.push(i === 0 ? `${r[col("payment_id")]},failed,,wrong number` : `${r[col("payment_id")]},paid,TX-${i},`));
  report.push(`${rows[1][col("payment_id")]},paid,TX-1,`, "01890000-0000-7000-8000-000000000000,paid,TX-X,");
  writeFileSync(join(work, "report.csv"), report.join("\n") + "\n");
  await choose(page.getByLabel("The provider's report (CSV)"), join(work, "report.csv"));
  await page.getByTestId("reconcile").click();
  await page.getByTestId("cycle-message").getByText(`${rows.length + 2} rows: ${rows.length - 1} paid, 1 failed, 0 reversed, 1 repeated, 1 unknown, 0 unreadable.`).waitFor();
  await page.getByTestId("cycle-paid").getByText((rows.length - 1).toLocaleString("en-US")).waitFor();
  await page.getByTestId("cycle-failed").getByText("1").waitFor();
  // The failed count is a link to the one who failed.
  await page.getByTestId("cycle-failed").click();
  await page.waitForURL(/show=failed/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="entitlement-table"] tbody tr').length === 1);
  await page.getByTestId("entitlement-table").getByText("Failed").waitFor();
  await screenshot(page, "15-cycle-paid");
  // The list of approved entitlements, without personal columns (finance may not reveal them).
  await page.getByTestId("entitlements-export").click();
  await downloaded(() => page.getByRole("dialog").getByRole("button", { name: "Save" }).click(), join(work, "approved.csv"));
  await page.getByTestId("cycle-message").getByText(/entitlements written to/).waitFor();
  const approved = readFileSync(join(work, "approved.csv"), "utf8").trim().split("\n");
  assert.match(approved[0], /^entitlement_id,program,cycle,reference,area,kind,amount_minor/);
  assert.ok(!approved[0].includes("financial_address"), "no personal columns");

  // The visitor at the counter: her entitlement, who approved it, and the payment with its reference.
  const paid = rows[1][col("beneficiary_reference")];
  await go(`#/beneficiaries/${paid}`);
  await page.getByRole("tab", { name: "Entitlements" }).click();
  const entitlements = page.getByTestId("beneficiary-entitlements");
  await entitlements.getByText("Paid").waitFor();
  await entitlements.getByText(/stage 1: approved · amina/).waitFor();
  await page.getByRole("tab", { name: "Payments" }).click();
  await page.getByTestId("beneficiary-payments").getByText("TX-1", { exact: true }).waitFor();
  await screenshot(page, "16-beneficiary-payments");
  await checkAccessibility("beneficiary-payments");
  await go(`#/beneficiaries/${rows[0][col("beneficiary_reference")]}`);
  await page.getByRole("tab", { name: "Payments" }).click();
  await page.getByTestId("beneficiary-payments").getByText("wrong number").waitFor();
  await relogin(ADMIN.username, ADMIN.password);
});

/** Another desk of the office, driven by hand: enrolled with its own Ed25519 key, it pushes signed ops. */
async function handDesk(central, office) {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const device = randomUUID();
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("base64");
  const enrol = { protocol: 1, code: central.code(office), device_id: device, public_key: raw, desk_name: "hand", office_code: office, registrants: 0 };
  const answer = await fetch(`${central.url}/sync/v1/enrol`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(enrol) });
  assert.equal(answer.status, 200, await answer.clone().text());
  const { office: joined } = await answer.json();
  return {
    /** Pushes one op as this desk's op number `seq`; resolves to the server's answer. */
    async push(seq, op) {
      // The HLC stamp is wall milliseconds shifted 20 bits: past 2^53, so it is written into the JSON by hand.
      const hlc = (BigInt(Date.now()) << 20n).toString();
      const record = `{"op_id":"${randomUUID()}","device_id":"${device}","seq":${seq},"hlc":${hlc},"at":"${new Date().toISOString()}","owner_office":"${joined.id}","base_version":null,"schema_version":7,"actor":"hand","op":${JSON.stringify(op)}}`;
      const body = `{"after":${seq - 1},"ops":[${record}]}`;
      const timestamp = String(Date.now());
      const nonce = randomBytes(16).toString("hex");
      const hash = createHash("sha256").update(body).digest("hex");
      const signed = `BR-SYNC-1\nPOST\n/sync/v1/push\n${hash}\n${timestamp}\n${nonce}\n${device}`;
      const signature = sign(null, Buffer.from(signed), privateKey).toString("base64");
      const headers = { "content-type": "application/json", "x-br-protocol": "1", "x-br-device": device, "x-br-timestamp": timestamp, "x-br-nonce": nonce, "x-br-signature": signature };
      const response = await fetch(`${central.url}/sync/v1/push`, { method: "POST", headers, body });
      assert.equal(response.status, 200, await response.clone().text());
      return response.json();
    },
  };
}

test("a central server: the desk enrols with a code, syncs, and settles a conflict another desk caused", async () => {
  const central = await startCentral([["DEMO", true]]);
  try {
    await go("#/settings/server");
    await page.getByTestId("sync-url").fill(central.url);
    await page.getByTestId("sync-code").fill(central.code("DEMO"));
    await checkAccessibility("central-server");
    await page.getByTestId("sync-enrol").click();
    await page.getByTestId("sync-status").getByText("Office DEMO (DEMO)").waitFor();
    // The first sync sends everything this desk did so far.
    await page.getByTestId("sync-run").click();
    await page.getByTestId("sync-label").getByText(/^Synced /).waitFor({ timeout: 240_000 });
    await page.getByTestId("sync-run").waitFor();
    assert.doesNotMatch(await page.getByTestId("sync-label").textContent(), /to send/, "nothing waits after a sync");
    await screenshot(page, "11-central-server");

    // Another desk of the office cancels the cycle that was paid here: a transition overtaken long ago.
    const other = await handDesk(central, "DEMO");
    const answer = await other.push(1, { type: "cycle_state_set", id: paidCycle, from: "draft", to: "cancelled" });
    assert.equal(answer.results[0].outcome, "conflict", JSON.stringify(answer));
    await page.getByTestId("sync-now").click();
    await page.getByTestId("sync-conflicts").click();
    await page.getByRole("heading", { name: "Sync conflicts" }).waitFor();
    const conflict = page.getByTestId("conflict");
    await conflict.getByText("cycle_state_set", { exact: true }).waitFor();
    await screenshot(page, "12-sync-conflict");
    await checkAccessibility("conflicts");
    await conflict.getByLabel("Note (optional)").fill("Paid already; the cancel came too late.");
    await conflict.getByTestId("conflict-resolve").click();
    await page.getByTestId("conflicts-none").waitFor();
    await go("#/cycles/" + encodeURIComponent(paidCycle));
    await page.getByTestId("cycle-state").waitFor();
    assert.doesNotMatch(await page.getByTestId("cycle-state").textContent(), /Cancelled/, "the paid cycle was not moved back");
  } finally {
    await central.stop();
  }
});

test("duplicates: found, compared side by side, one pair kept apart, one merged", async () => {
  await page.getByRole("link", { name: "Duplicates" }).click();
  await page.getByTestId("dedup-run").click();
  await page.getByTestId("dedup-summary").waitFor();
  const rows = page.getByTestId("dedup-queue").locator("tbody tr");
  await rows.first().waitFor();
  const open = async () => Number((await page.getByText(/^To review: /).textContent()).replace(/[^0-9]/g, ""));
  const before = await open();
  assert.ok(before > 100, `the planted duplicates are found: ${before}`);
  await rows.first().click();
  await page.getByTestId("dedup-review").waitFor();
  // Why: each field's level and weight, in words.
  await page.getByTestId("dedup-explanation").getByText("Birth date").first().waitFor();
  await screenshot(page, "13-duplicates");
  await checkAccessibility("duplicates");
  // Side by side, the reviewer may show the records' personal data (each showing audited).
  await page.getByTestId("dedup-review").getByText("•").first().waitFor();
  await page.getByTestId("dedup-reveal").check();
  await page.waitForFunction(() => !document.querySelector('[data-testid="dedup-review"]').textContent.includes("•"));
  await page.getByTestId("dedup-not-duplicates").click();
  await page.getByText(`To review: ${(before - 1).toLocaleString("en-US")}`).waitFor();
  await rows.first().click();
  // Merging asks first, saying what moves, and then says what moved.
  await page.getByTestId("dedup-review").getByRole("button", { name: /Keep this record/ }).first().click();
  await page.getByRole("dialog").getByTestId("consequence").filter({ hasText: /will be merged into .* Program memberships moving: \d+/ }).waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll("[role=dialog]")].some((d) => getComputedStyle(d).opacity === "1"));
  await screenshot(page, "13b-merge-confirmation");
  await confirmDialog("nothing deleted");
  const done = page.getByRole("alert").filter({ hasText: /merged into/ }).first();
  await done.waitFor();
  await page.getByText(`To review: ${(before - 2).toLocaleString("en-US")}`).waitFor();
  // The merged record's own history says where it went.
  const [, merged, kept] = /(\S+) merged into (\S+)\./.exec(await done.textContent());
  await go(`#/beneficiaries/${encodeURIComponent(merged)}`);
  await page.getByRole("tab", { name: "History" }).click();
  await page.getByTestId("history").getByText(`Merged into ${kept}`).waitFor();
});

test("every chart and table reads whole in English, French and Arabic: nothing cut, overlapping or turned around", async () => {
  const pages = [
    ["home", "#/", () => page.getByTestId("work-queue").waitFor()],
    ["program", "#/programs/ELD", () => page.getByTestId("count-enrolled").waitFor()],
    ["cycle", `#/cycles/${paidCycle}`, () => page.getByTestId("cycle-area-chart").locator("svg").waitFor()],
    ["duplicates", "#/duplicates", async () => {
      await page.getByTestId("dedup-queue").locator("tbody tr").first().click();
      await page.getByTestId("dedup-review").waitFor();
    }],
    ["beneficiaries", "#/beneficiaries", () => page.getByTestId("registrant-row").first().waitFor()],
    ["audit", "#/audit", () => page.getByTestId("audit-table").locator("tbody tr").first().waitFor()],
  ];
  const found = [];
  for (const [language, option] of [["en", "English"], ["fr", "Français"], ["ar", "العربية"]]) {
    await page.getByTestId("language-select").first().click();
    await page.getByRole("option", { name: option }).click();
    await page.waitForFunction((l) => document.documentElement.lang === l, language);
    for (const [name, hash, ready] of pages) {
      await go(hash);
      await ready();
      // Charts draw after their first measure: two frames.
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
      for (const p of await layoutProblems(page)) found.push(`${language} ${name}: ${p}`);
      await screenshot(page, `20-layout-${language}-${name}`);
    }
  }
  await page.getByTestId("language-select").first().click();
  await page.getByRole("option", { name: "English" }).click();
  assert.deepEqual(found, []);
});

test("Arabic turns the page right-to-left; settings and households render", async () => {
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("tab", { name: "Office" }).click();
  assert.equal(await page.getByTestId("privacy-kept").textContent(), "names, phone, birth date, ID numbers");
  await page.getByRole("tab", { name: "Lists" }).click();
  await page.getByText("Coastal").waitFor();
  await checkAccessibility("settings");
  await page.getByRole("link", { name: "Households" }).click();
  await page.getByTestId("registrant-row").first().waitFor();

  await page.getByRole("textbox", { name: "Language" }).first().click();
  await page.getByRole("option", { name: "العربية" }).click();
  await page.getByRole("link", { name: "الأسر" }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dir), "rtl");
  assert.equal(await page.evaluate(() => document.documentElement.lang), "ar");
  await page.getByRole("link", { name: "الرئيسية" }).click();
  await page.getByRole("heading", { name: "نظرة عامة" }).waitFor();
  await screenshot(page, "09-arabic-dashboard");
  await checkAccessibility("home-arabic");
  await page.getByRole("textbox", { name: "اللغة" }).first().click();
  await page.getByRole("option", { name: "English" }).click();
  assert.equal(await page.evaluate(() => document.documentElement.dir), "ltr");
});

test("an administrator disables a departed user: their open session ends and they cannot log in", async () => {
  const fatou = await appRequest(server.url, { action: "login", username: "fatou", password: "user-password-1" });
  const asFatou = () => appRequest(server.url, { action: "call", token: fatou.token, command: "session.info", payload: {} });
  await asFatou();
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("tab", { name: "Users" }).click();
  await page.getByRole("button", { name: "Change the account fatou" }).click();
  const dialog = page.getByRole("dialog", { name: "Change the account fatou" });
  await dialog.getByRole("switch", { name: "Disabled" }).check();
  await dialog.getByText(/ends this person's open sessions/).waitFor();
  await screenshot(page, "17-users-change");
  await checkAccessibility("users-change");
  await dialog.getByRole("button", { name: "Save" }).click();
  await page.getByText("Account changed.").waitFor();
  await page.getByRole("row", { name: /fatou/ }).getByText("Disabled").waitFor();
  await assert.rejects(asFatou(), /session_invalid/);
  await assert.rejects(appRequest(server.url, { action: "login", username: "fatou", password: "user-password-1" }), /authentication_failed/);
  await page.getByRole("link", { name: "Home" }).click();
});

test("lock hides the registry and a login opens it again", async () => {
  await page.getByTestId("user-menu").click();
  await page.getByRole("menuitem", { name: "Lock" }).click();
  await page.getByTestId("locked-notice").waitFor();
  assert.equal(await page.getByText("بلال").count(), 0, "nothing of the registry stays on screen");
  await screenshot(page, "10-locked");
  await checkAccessibility("login");
  await page.getByLabel("User name").fill(ADMIN.username);
  await page.getByLabel(/^Password/).fill("wrong-password-here");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByText("Wrong user name or password.").waitFor();
  await page.getByLabel(/^Password/).fill(ADMIN.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
});

test("axe-core finds no serious or critical violations on the main pages", () => {
  const failing = Object.entries(axeFindings).filter(([, v]) => v.length > 0);
  assert.ok(Object.keys(axeFindings).length >= 8, `pages checked: ${Object.keys(axeFindings).join(", ")}`);
  assert.deepEqual(failing, []);
});
