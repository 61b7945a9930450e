// The API reference page in a real browser (part of make test, infra/browser.sh runs it):
// headless Chromium (Debian's package) driven by playwright-core loads the page that make dev
// serves, checks that it shows every operation of openapi.yaml, by operationId, and no error,
// then uses "Try it out" on listContacts with a token and checks the local stack's answer.
//
//   node infra/web/reference_check.mjs PAGE_URL TOKEN
import { chromium } from "playwright-core";

const [page_url, token] = process.argv.slice(2);
if (!page_url || !token) {
  console.error("usage: node reference_check.mjs PAGE_URL TOKEN");
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const spec = await (await fetch(new URL("openapi.json", page_url))).json();
const expected = Object.values(spec.paths)
  .flatMap((item) => Object.values(item))
  .map((operation) => operation.operationId)
  .filter(Boolean)
  .sort();

const browser = await chromium.launch({
  executablePath,
  headless: true,
  // This machine's network is closed: without these, Chromium's own background connections
  // fail, many at a time.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const failures = [];
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  const outside = [];
  page.on("request", (request) => {
    if (new URL(request.url()).origin !== new URL(page_url).origin) outside.push(request.url());
  });
  await page.goto(page_url, { waitUntil: "load" });
  await page.waitForSelector(".opblock", { timeout: 30000 });
  await page.waitForFunction(
    (n) => document.querySelectorAll(".opblock").length >= n, expected.length, { timeout: 30000 });
  const shown = (await page.locator(".opblock-summary-operation-id").allTextContents())
    .map((s) => s.trim()).sort();
  const missing = expected.filter((id) => !shown.includes(id));
  if (missing.length) failures.push(`operations not shown: ${missing.join(", ")}`);
  if (await page.locator(".errors-wrapper").count()) {
    failures.push(`the page shows errors: ${await page.locator(".errors-wrapper").innerText()}`);
  }
  const server = await page.locator(".servers select").inputValue();
  if (server !== new URL(page_url).origin) failures.push(`first server ${server}, not the page's origin`);

  // "Try it out": the token through Swagger UI's own authorisation, then listContacts executed.
  await page.evaluate((value) => window.ui.preauthorizeApiKey("bearer", value), token);
  const block = page.locator("#operations-contacts-listContacts");
  await block.locator(".opblock-summary").click();
  await block.getByRole("button", { name: "Try it out" }).click();
  await block.getByRole("button", { name: "Execute" }).click();
  const status = block.locator(".live-responses-table .response .response-col_status").first();
  await status.waitFor({ timeout: 30000 });
  const code = (await status.innerText()).trim();
  const body = await block.locator(".live-responses-table .response-col_description pre").first().innerText();
  if (code !== "200") failures.push(`listContacts through "Try it out" answered ${code}: ${body}`);
  else if (!body.includes('"isSuccess": true')) failures.push(`listContacts answered 200 without the envelope: ${body}`);
  if (errors.length) failures.push(`script errors: ${errors.join("; ")}`);
  if (outside.length) failures.push(`requests outside the page's origin: ${outside.join(", ")}`);
  console.log(`reference page: ${shown.length} operations shown (${expected.length} in openapi.yaml), ` +
    `"Try it out" on listContacts answered ${code}`);
} finally {
  await browser.close();
}
if (failures.length) {
  for (const failure of failures) console.error(failure);
  process.exit(1);
}
