// Reference frames from the babylon-mmd peer page (web/mmd.html + src/mmd.js) at exact dance instants.
// Same Chromium flags / CDP attach as bench.mjs. Usage:
//   node frames.mjs --port N [--times 5,12,20,30] [--out /tmp/peers-frames]
import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const argv = process.argv.slice(2);
const opt = (k, d) => { const i = argv.indexOf("--" + k); return i < 0 ? d : argv[i + 1]; };
const PORT = Number(opt("port", 8787));
const TIMES = opt("times", "5,12,20,30").split(",").map(Number);
const OUT = path.resolve(opt("out", "/tmp/peers-frames"));
const CHROME = "/usr/bin/chromium";
fs.mkdirSync(OUT, { recursive: true });

const FLAGS = [
  "--headless", "--no-sandbox", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-quic",
  "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
  "--window-size=1280,720", "--force-device-scale-factor=1",
  "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
];
const udd = fs.mkdtempSync(path.join(os.tmpdir(), "peers-frames-chromium-"));
const proc = spawn(CHROME, [...FLAGS, `--user-data-dir=${udd}`, "about:blank"], { stdio: ["ignore", "ignore", "pipe"], detached: true });
let stderr = ""; proc.stderr.on("data", (d) => { stderr = (stderr + d).slice(-50000); });
const portFile = path.join(udd, "DevToolsActivePort");
for (let i = 0; i < 300 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 100));
if (!fs.existsSync(portFile)) { console.error("chromium did not start:\n" + stderr); process.exit(1); }
const [cdpPort, wsPath] = fs.readFileSync(portFile, "utf8").trim().split("\n");
const browser = await chromium.connectOverCDP(`ws://127.0.0.1:${cdpPort}${wsPath}`);
const stop = async () => {
  try { await browser.close(); } catch {}
  try { process.kill(-proc.pid, "SIGTERM"); } catch {}
  await new Promise((r) => setTimeout(r, 300));
  try { process.kill(-proc.pid, "SIGKILL"); } catch {}
  fs.rmSync(udd, { recursive: true, force: true });
};

const meta = { date: new Date().toISOString(), times: TIMES, frames: [] };
let rc = 0;
try {
  const ctx = browser.contexts()[0];
  const page = ctx.pages()[0] || await ctx.newPage();
  await page.setViewportSize({ width: 1280, height: 720 });
  const consoleLines = [];
  page.on("console", (m) => { if (consoleLines.length < 100) consoleLines.push(`${m.type()}: ${m.text()}`); });
  page.on("pageerror", (e) => consoleLines.push("pageerror: " + e.message));
  await page.goto(`http://127.0.0.1:${PORT}/mmd.html?w=1280&h=720`, { waitUntil: "load" });
  await page.waitForFunction(() => document.title === "ready" || document.title === "error", null, { timeout: 300000 });
  const r = await page.evaluate(async () => { await window.peer.ready; return { error: window.peer.error, timings: window.peer.timings }; });
  if (r.error) throw new Error(r.error);
  meta.timings = r.timings;
  meta.info = await page.evaluate(() => {
    const s = window.__scene, gl = s.getEngine()._gl;
    const rt = s.metadata;  // unused
    return { ...window.peer.info(), drawingBuffer: [gl.drawingBufferWidth, gl.drawingBufferHeight],
             samples: gl.getParameter(gl.SAMPLES), maxSamples: gl.getParameter(gl.MAX_SAMPLES),
             contextAttributes: gl.getContextAttributes(), activeCamera: s.activeCamera && s.activeCamera.name,
             cameras: s.cameras.map((c) => c.name), lights: s.lights.map((l) => [l.name, l.getClassName(), l.intensity]),
             physicsEnabled: !!s.getPhysicsEngine?.(), userAgent: navigator.userAgent };
  });
  for (const t of TIMES) {
    const a = Date.now();
    // window.peer.shot(t): setTime(t - k/30) for k=30..1, then setTime(t) -> mmdRuntime.seekAnimation(t*30, true), render(), toDataURL.
    const url = await page.evaluate((t) => window.peer.shot(t), t);
    const cam = await page.evaluate(() => {
      const c = window.__scene.activeCamera, v = (p) => [p.x, p.y, p.z].map((x) => +x.toFixed(4));
      return { target: v(c.target), eyePos: v(c.position), rotationRad: v(c.rotation), distance: +c.distance.toFixed(4),
               fovRad: +c.fov.toFixed(5), fovDeg: +(c.fov * 180 / Math.PI).toFixed(3),
               eye: (() => { const m = c.getViewMatrix().clone().invert(); return [m.m[12], m.m[13], m.m[14]].map((x) => +x.toFixed(4)); })(), minZ: c.minZ, maxZ: c.maxZ, fovMode: c.fovMode };
    });
    const png = path.join(OUT, `babylon-mmd-t${t}.png`);
    fs.writeFileSync(png, Buffer.from(url.split(",")[1], "base64"));
    meta.frames.push({ t, vmdFrame: t * 30, png, camera: cam, ms: Date.now() - a });
    console.error(`t=${t}s (VMD frame ${t * 30}) -> ${png} in ${Date.now() - a} ms; camera ${JSON.stringify(cam)}`);
  }
  // History independence check (physics off => pose depends only on t): re-render the first instant
  // directly after the last one, with no pre-roll, and compare the PNG bytes.
  const t0 = TIMES[0];
  const again = await page.evaluate((t) => { window.peer.__step(t); return window.__scene.getEngine()._gl.canvas.toDataURL("image/png"); }, t0);
  const first = fs.readFileSync(path.join(OUT, `babylon-mmd-t${t0}.png`)).toString("base64");
  meta.historyIndependent = again.split(",")[1] === first;
  console.error(`re-render of t=${t0} after t=${TIMES[TIMES.length - 1]} without pre-roll identical: ${meta.historyIndependent}`);
  meta.console = consoleLines.filter((l) => !/^debug/.test(l)).slice(0, 30);
} catch (e) {
  rc = 1; meta.error = String(e && e.stack || e); meta.chromiumStderr = stderr.slice(-4000);
  console.error("FAILED: " + meta.error);
} finally { await stop(); }
const v = (p) => { try { return JSON.parse(fs.readFileSync(path.join("node_modules", p, "package.json"), "utf8")).version; } catch { return "?"; } };
meta.versions = { chromium: execFileSync(CHROME, ["--version"]).toString().trim(), "babylon-mmd": v("babylon-mmd"),
                  "@babylonjs/core": v("@babylonjs/core"), "playwright-core": v("playwright-core"), node: process.version };
fs.writeFileSync(path.join(OUT, "frames.json"), JSON.stringify(meta, null, 2));
console.log(JSON.stringify({ versions: meta.versions, info: meta.info, historyIndependent: meta.historyIndependent }, null, 1));
process.exit(rc);
