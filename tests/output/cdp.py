"""A headless Chromium driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: commands on fd 3, replies on fd 4, NUL-separated
JSON): no port, no extra Python package, no guessing from log lines.  Used by
the browser test and by scripts/docs-images.sh.

    cdp.py screenshot FILE OUT.png [WIDTH]   a full-page screenshot of FILE
"""
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


class Browser:
    """Headless Chromium, one page, over the DevTools pipe."""

    def __init__(self, tmp):
        if not CHROMIUM:
            fail("chromium not installed (scripts/setup.sh --test-deps installs it)")
        self.profile = tempfile.mkdtemp(dir=tmp)
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():  # the protocol's fixed descriptors: 3 in, 4 out
            # via fresh copies: the pipe ends may be 3 or 4 themselves, and
            # dup2() onto another number is what clears close-on-exec
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--disable-default-apps",
                "--mute-audio", "--hide-scrollbars", "--remote-debugging-pipe",
                "--user-data-dir=" + self.profile, "--window-size=1100,1400", "about:blank"]
        self.log = open(os.path.join(tmp, "chromium.log"), "w")
        # close_fds=False: fds 3 and 4 are made in the child; Python's own fds are
        # not inheritable anyway
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log, preexec_fn=fds, close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf, self.next_id, self.events = b"", 0, []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(domain + ".enable", session=True)

    def send(self, method, params, session):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0 or not select.select([self.from_chrome], [], [], left)[0]:
                fail("chromium did not answer in time (log: %s)" % self.tail())
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                fail("chromium closed the pipe (log: %s)" % self.tail())
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=False, timeout=30):
        want = self.send(method, params, session)
        deadline = time.time() + timeout
        while True:
            msg = self.read(deadline)
            if msg.get("id") == want:
                if "error" in msg:
                    fail("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method, timeout=30):
        deadline = time.time() + timeout
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        while True:
            msg = self.read(deadline)
            if msg.get("method") == method:
                return msg
            self.events.append(msg)

    def tail(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()[-800:]

    def load(self, path):
        """Loads file://path; returns (problems, requested URLs, PNG bytes, page metrics)."""
        self.events = []
        url = "file://" + os.path.abspath(path)
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_event("Page.loadEventFired")
        time.sleep(0.3)  # late console messages, if any, arrive now
        metrics = self.call("Runtime.evaluate", {
            "expression": "JSON.stringify({cells: document.querySelectorAll('rect.cell').length,"
                          " w: document.documentElement.getBoundingClientRect().width,"
                          " h: document.documentElement.getBoundingClientRect().height})",
            "returnByValue": True}, session=True)
        shot = self.call("Page.captureScreenshot", {"format": "png"}, session=True)
        problems, urls = [], []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
                problems.append("console.%s: %s" % (p["type"], p.get("args")))
            elif m == "Runtime.exceptionThrown":
                problems.append("exception: %s" % p.get("exceptionDetails"))
            elif m == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                problems.append("log %s: %s" % (p["entry"]["level"], p["entry"].get("text")))
            elif m == "Network.requestWillBeSent":
                urls.append(p["request"]["url"])
            elif m == "Network.loadingFailed":
                problems.append("load failed: %s" % p.get("errorText"))
        return problems, urls, base64.b64decode(shot["data"]), json.loads(metrics["result"]["value"])

    def screenshot(self, path, width):
        """The whole page at width CSS pixels (its height as laid out)."""
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": 800,
                  "deviceScaleFactor": 1, "mobile": False}, session=True)
        self.load(path)
        size = self.call("Page.getLayoutMetrics", session=True)["cssContentSize"]
        self.call("Emulation.setDeviceMetricsOverride", {"width": width,
                  "height": int(size["height"] + 0.5), "deviceScaleFactor": 1, "mobile": False},
                  session=True)
        return base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"},
                                          session=True)["data"])

    def close(self):
        try:
            self.send("Browser.close", {}, False)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_chrome)
        os.close(self.from_chrome)


def png_pixels(data):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB/RGBA PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("the screenshot is not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big"), body[8], body[9]
            if depth != 8 or ctype not in (2, 6) or body[12]:
                fail("unexpected PNG format (depth %d, colour type %d)" % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, rows, prev, stride = zlib.decompress(idat), [], bytearray(w * bpp), w * bpp
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, rows, bpp




def main():
    if len(sys.argv) < 4 or sys.argv[1] != "screenshot":
        fail("usage: cdp.py screenshot FILE OUT.png [WIDTH]")
    tmp = tempfile.mkdtemp(prefix="flushlat-cdp-")
    b = Browser(tmp)
    try:
        png = b.screenshot(sys.argv[2], int(sys.argv[4]) if len(sys.argv) > 4 else 1000)
    finally:
        b.close()
        shutil.rmtree(tmp, True)
    with open(sys.argv[3], "wb") as f:
        f.write(png)


if __name__ == "__main__":
    main()
