// Drives the dashboard in headless Chromium for crates/cli/tests/serve_browser.rs.
// Input (environment): PLAYWRIGHT (the playwright-core module), CHROMIUM,
// CHROMIUM_FLAGS (JSON), USER_DATA_DIR, DASHBOARD_URL (with its token),
// SHOTS (a folder), STEP (approve, tour or incidents), and for STEP=approve:
// APPROVAL_ID, PASSPHRASE; for STEP=tour: RESTORE_INTO.
// Output: one JSON object on stdout, the pages' text as a person sees it;
// the assertions are the Rust test's.
const { chromium } = require(process.env.PLAYWRIGHT);
const path = require('path');

async function main() {
  const flags = JSON.parse(process.env.CHROMIUM_FLAGS);
  const context = await chromium.launchPersistentContext(process.env.USER_DATA_DIR, {
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: flags,
    viewport: { width: 1280, height: 800 },
  });
  const page = context.pages()[0] || (await context.newPage());
  const problems = [];
  // Every console error counts (a CSP violation shows there), but the 403
  // of the approval refused on purpose (the wrong passphrase).
  const refusedOnPurpose = (m) =>
    m.text().includes('status of 403') && m.location().url.endsWith(`/approvals/${process.env.APPROVAL_ID}/approve`);
  page.on('console', (m) => {
    if (m.type() === 'error' && !refusedOnPurpose(m)) problems.push(`${m.text()} @ ${m.location().url}`);
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  const out = { problems, pages: {} };
  const shot = async (name) => {
    await page.screenshot({ path: path.join(process.env.SHOTS, `${name}.png`), fullPage: true });
    out.pages[name] = { url: page.url().replace(/token=[0-9a-f]+/, 'token=…'), text: await page.innerText('body') };
  };

  await page.goto(process.env.DASHBOARD_URL);
  out.landed = new URL(page.url()).pathname + new URL(page.url()).search;
  if (process.env.STEP === 'approve') {
    const card = page.locator(`#approval-${process.env.APPROVAL_ID}`);
    await card.waitFor();
    await shot('approvals-pending');
    // A wrong passphrase approves nothing.
    await card.locator('input[name=answer]').fill('YES');
    await card.locator('input[name=passphrase]').fill('not the passphrase');
    await card.locator('button', { hasText: 'Approve' }).click();
    await page.waitForLoadState();
    await shot('approvals-wrong-passphrase');
    const again = page.locator(`#approval-${process.env.APPROVAL_ID}`);
    await again.locator('input[name=answer]').fill('YES');
    await again.locator('input[name=passphrase]').fill(process.env.PASSPHRASE);
    await again.locator('button', { hasText: 'Approve' }).click();
    await page.waitForLoadState();
    await shot('approvals');
  } else if (process.env.STEP === 'incidents') {
    await page.goto(new URL('/incidents', process.env.DASHBOARD_URL).href);
    await shot('incidents');
    await page.locator('td a[href^="/incidents/"]').first().click();
    await page.waitForLoadState();
    await shot('incident');
  } else {
    for (const name of ['approvals', 'backups', 'health', 'integrity', 'audit']) {
      await page.goto(new URL(`/${name}`, process.env.DASHBOARD_URL).href);
      await shot(name);
    }
    // The backup's actions: verify, then restore into a new database.
    await page.goto(new URL('/backups', process.env.DASHBOARD_URL).href);
    await page.locator('button', { hasText: /^verify$/ }).first().click();
    await page.waitForLoadState();
    await shot('backups-verified');
    await page.locator('input[name=into]').first().fill(process.env.RESTORE_INTO);
    await page.locator('button', { hasText: 'restore --into' }).first().click();
    await page.waitForLoadState();
    await shot('backups-restored');
    await page.goto(new URL('/audit?risk=high&agent=none', process.env.DASHBOARD_URL).href);
    await shot('audit-filtered');
  }
  await context.close();
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
