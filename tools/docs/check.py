#!/usr/bin/env python3
"""Check the course site in a real browser: headless Chromium (Debian's
`chromium` package) loads every page of build/docs/ from a server on
127.0.0.1, and the checks run in the page itself:

  - every page loads (HTTP 200, its style sheets applied, a title);
  - every image has a non-zero size, as decoded and as laid out (with
    every <details> opened, so a figure inside one is measured too);
  - every internal link resolves: the file exists, and a #fragment names
    an element of the page it points to;
  - lab pages have their code highlighted and prev/next navigation, and
    the reference pages a link back to the course map;
  - a reader can see the whole page (every <details> opened): its last
    heading and last paragraph take up room on screen, no element with a
    `hidden` attribute holds page text, and the text shown has as many
    characters as the Markdown it was made from, within 3 % (a stray
    attribute or an unclosed element that hides the rest of a page
    fails all three);
  - no link to a Markdown document was left as plain text (a document
    the guides link to has a page).

Then a screenshot of one page goes to build/docs/screenshot.png, for a
person to look at. Prints `ok`/`FAIL` lines and `N passed, N failed`
(or `, 1 skipped` when Chromium is not installed: never a pass).

    check.py [--site build/docs] [--screenshot PAGE#ANCHOR]
"""

import argparse
import functools
import glob
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# the visible text may differ from the Markdown's by this fraction: what
# markdown_chars cannot strip exactly (entities, emphasis by underscores)
TEXT_SLACK = 0.03
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

AUDIT = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>audit</title></head>
<body><pre id="out">running</pre><script>
const pages = %s;
function load(p) {
  return new Promise(res => {
    const f = document.createElement("iframe");
    f.style.width = "1200px"; f.style.height = "900px";
    f.onload = () => res(f);
    f.src = p;
    document.body.appendChild(f);
  });
}
(async () => {
  const rep = {pages: {}, links: [], errors: []};
  const docs = {};
  for (const p of pages) {
    const r = await fetch(p);
    const info = {status: r.status};
    rep.pages[p] = info;
    if (!r.ok) continue;
    const f = await load(p);
    const d = f.contentDocument;
    docs["/" + p] = d;
    d.querySelectorAll("details").forEach(x => x.open = true);
    await Promise.all([...d.images].map(img => img.complete ? 0 :
      new Promise(ok => { img.onload = img.onerror = ok; })));
    info.title = d.title;
    info.sheets = d.styleSheets.length;
    info.rules = [...d.styleSheets].reduce((n, s) => n + s.cssRules.length, 0);
    info.main = !!d.querySelector("main h1");
    info.highlighted = d.querySelectorAll(".highlight span[class]").length;
    info.prev = !!d.querySelector('a[rel="prev"]');
    info.next = !!d.querySelector('a[rel="next"]');
    // what a reader can see, with every <details> open: the text of the
    // page's own content (the pager aside), the last heading and the last
    // paragraph, and any page text under a `hidden` attribute
    const main = d.querySelector("main"), pager = main && main.querySelector("nav.pager");
    const own = e => !pager || !pager.contains(e);
    const seen = e => e.innerText.trim().length > 0 && e.getBoundingClientRect().height > 0;
    const last = sel => {
      const all = main ? [...main.querySelectorAll(sel)].filter(own) : [];
      const e = all[all.length - 1];
      return e ? {text: e.textContent.trim().slice(0, 60), seen: seen(e)} : null;
    };
    info.lastHeading = last("h1, h2, h3, h4, h5, h6");
    info.lastPara = last("p");
    info.hidden = [...d.body.querySelectorAll("[hidden]")]
      .map(e => e.textContent.replace(/\\s+/g, " ").trim()).filter(t => t)
      .map(t => ({chars: t.length, text: t.slice(0, 60)}));
    info.visibleChars = main ? (main.innerText.replace(/\\s/g, "").length -
      (pager ? pager.innerText.replace(/\\s/g, "").length : 0)) : 0;
    info.unpublished = [...d.querySelectorAll("span.repo[title]")]
      .map(e => e.title.replace(/^in the repository: /, "")).filter(t => /\\.md$/.test(t));
    info.images = [...d.images].map(img => ({src: img.getAttribute("src"),
      natural: img.naturalWidth * img.naturalHeight,
      shown: Math.round(img.getBoundingClientRect().width * img.getBoundingClientRect().height)}));
    for (const a of d.querySelectorAll("a[href]")) {
      const u = new URL(a.getAttribute("href"), f.contentWindow.location.href);
      if (u.origin === location.origin)
        rep.links.push({from: p, path: u.pathname, hash: decodeURIComponent(u.hash.slice(1)),
                        text: a.textContent.slice(0, 40)});
    }
  }
  for (const l of rep.links) {
    if (docs[l.path]) {
      l.ok = !l.hash || !!docs[l.path].getElementById(l.hash);
    } else {
      const r = await fetch(l.path);
      l.ok = r.ok && !l.hash;
    }
  }
  document.getElementById("out").textContent = "RESULT " + JSON.stringify(rep);
})().catch(e => { document.getElementById("out").textContent = "ERROR " + e; });
</script></body></html>
"""


# Headless Chromium's --screenshot draws a page scrolled to an #anchor as
# blank, so the page is shown in a full-window frame, which scrolls itself.
SHOT = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>shot</title>
<style>html, body, iframe { margin: 0; border: 0; width: 100%%; height: 100%%; }</style>
</head><body><iframe src="%s"></iframe></body></html>
"""


class Handler(http.server.SimpleHTTPRequestHandler):
    extra = {}  # path -> generated page: the audit and the screenshot frame

    def do_GET(self):
        body = self.extra.get(self.path)
        if body is not None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


def markdown_chars(text):
    """How many non-blank characters of a Markdown page a reader sees once
    it is rendered: its text without the markup (fence lines, tags, link
    targets, images, list and heading marks, table rules, emphasis)."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"^\s*```.*$", "", text, flags=re.M)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\]\([^)\s]*\)", "]", text)
    text = re.sub(r"</?[a-zA-Z][^>\n]*>", "", text)
    text = re.sub(r"^[ \t]*(#+|[-*+]|\d+\.|>)[ \t]", "", text, flags=re.M)
    text = re.sub(r"^[ \t]*\|?[ \t:|-]+\|?[ \t]*$", "", text, flags=re.M)
    text = re.sub(r"[`*|\[\]\\]", "", text)
    return len(re.sub(r"\s", "", text))


def page_source(site, page):
    """The Markdown a page was made from: site.py names it in the page's
    <meta name="source">; a page without one is a guide or the course map."""
    with open(os.path.join(site, page), encoding="utf-8") as f:
        m = re.search(r'<meta name="source" content="([^"]+)">', f.read())
    if m:
        return os.path.join(ROOT, m.group(1))
    return os.path.join(ROOT, "lab-guides",
                        "README.md" if page == "index.html" else page[:-5] + ".md")


def chromium_binary():
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def browse(binary, extra, url, timeout=120):
    with tempfile.TemporaryDirectory(prefix="eclipse-chromium-") as profile:
        cmd = [binary] + FLAGS + [f"--user-data-dir={profile}"] + extra + [url]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--site", default=os.path.join(ROOT, "build", "docs"))
    ap.add_argument("--screenshot", default="lab4-read.html#step-2-adding-a-chain")
    args = ap.parse_args()
    tally = [0, 0]

    def check(name, cond, why=""):
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + why))
        tally[not cond] += 1

    binary = chromium_binary()
    if not binary:
        print("SKIP browser check: chromium is not installed (tools/install-deps "
              "--with-optional installs it; make test-slow runs that)")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    # in the course's order: lab2 before lab10 (the number, not the text)
    def order(name):
        m = re.match(r"lab(\d+)-", name)
        return (int(m.group(1)) if m else -1, name)

    pages = sorted((os.path.basename(p) for p in glob.glob(os.path.join(args.site, "*.html"))),
                   key=order)
    labs = [p for p in pages if re.match(r"lab\d+-", p)]
    if "index.html" not in pages:
        check("the site has index.html", False, f"run make docs first ({args.site})")
        print(f"{tally[0]} passed, {tally[1]} failed")
        return 1
    Handler.extra = {"/__audit__.html": (AUDIT % json.dumps(pages)).encode(),
                     "/__shot__.html": (SHOT % args.screenshot).encode()}
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=args.site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        r = browse(binary, ["--dump-dom", "--virtual-time-budget=60000"], base + "__audit__.html")
        m = re.search(r"RESULT (\{.*\})</pre>", r.stdout, re.S)
        if not m:
            err = re.search(r"(ERROR [^<]*)", r.stdout)
            check("chromium ran the audit page", False,
                  (err.group(1) if err else "no result") + "\n" + r.stderr[-1500:])
            print(f"{tally[0]} passed, {tally[1]} failed")
            return 1
        rep = json.loads(m.group(1).replace("&lt;", "<").replace("&gt;", ">")
                         .replace("&quot;", '"').replace("&amp;", "&"))
        for p in pages:
            info = rep["pages"].get(p, {})
            check(f"{p} loads with its style", info.get("status") == 200 and info.get("title")
                  and info.get("sheets") == 2 and info.get("rules", 0) > 20 and info.get("main"),
                  json.dumps({k: info.get(k) for k in ("status", "title", "sheets", "main")}))
            seen = [x for x in (info.get("lastHeading"), info.get("lastPara")) if x]
            check(f"{p}: its last heading and last paragraph can be seen",
                  len(seen) == 2 and all(x["seen"] for x in seen),
                  json.dumps([info.get("lastHeading"), info.get("lastPara")]))
            hid = info.get("hidden", [])
            check(f"{p}: no page text under a hidden attribute", not hid,
                  f"{sum(h['chars'] for h in hid)} characters in {len(hid)} hidden elements, "
                  f"from {hid[0]['text']!r}" if hid else "")
            src = page_source(args.site, p)
            want = markdown_chars(open(src, encoding="utf-8").read()) if os.path.exists(src) else 0
            got = info.get("visibleChars", 0)
            check(f"{p}: the text shown is the Markdown's ({got} of {want} characters)",
                  want and abs(got - want) <= TEXT_SLACK * want,
                  f"{os.path.relpath(src, ROOT)} has {want}; a reader sees {got}, "
                  f"the details opened")
            bad = [i for i in info.get("images", []) if not (i["natural"] > 0 and i["shown"] > 0)]
            check(f"{p}: {len(info.get('images', []))} images, each with a non-zero size",
                  not bad, json.dumps(bad))
            check(f"{p}: every Markdown document it links to has a page",
                  not info.get("unpublished"), json.dumps(info.get("unpublished")))
            if p in labs:
                check(f"{p}: code highlighted, prev and next links",
                      info.get("highlighted", 0) > 0 and info.get("prev")
                      and (info.get("next") or p == labs[-1]),
                      json.dumps({k: info.get(k) for k in ("highlighted", "prev", "next")}))
            elif p != "index.html":
                check(f"{p}: a link back to the course map", info.get("prev"),
                      json.dumps({k: info.get(k) for k in ("prev", "next")}))
        broken = [f"{l['from']} -> {l['path']}{'#' + l['hash'] if l['hash'] else ''}"
                  for l in rep["links"] if not l.get("ok")]
        check(f"all {len(rep['links'])} internal links resolve", not broken and rep["links"],
              "; ".join(broken[:10]))
        shot = os.path.join(args.site, "screenshot.png")
        if os.path.exists(shot):
            os.remove(shot)
        browse(binary, [f"--screenshot={shot}", "--window-size=1280,1100",
                        "--virtual-time-budget=10000", "--hide-scrollbars"],
               base + "__shot__.html")
        check(f"screenshot of {args.screenshot} in {os.path.relpath(shot, ROOT)}",
              os.path.exists(shot) and os.path.getsize(shot) > 20000,
              "missing, or too small to hold more than a blank page")
    finally:
        server.shutdown()
    print(f"{tally[0]} passed, {tally[1]} failed")
    return 1 if tally[1] else 0


if __name__ == "__main__":
    sys.exit(main())
