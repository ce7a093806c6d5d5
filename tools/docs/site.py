#!/usr/bin/env python3
"""Build the course site: build/docs/index.html (the course map) and one
page per lab guide, with the figures inline, code highlighted, and
navigation between the labs.

    site.py --out build/docs

Markdown is rendered by Python-Markdown with Pygments for the code
(Debian: python3-markdown, python3-pygments). We chose them over pandoc
because they are small, pure Python and already next to the graders'
Python: the whole site builds in a second, and the extensions we need
(tables, fenced code, heading anchors, markdown inside <details>) are
part of the package. Beside the guides, the site carries the repository
documents they send a student to (REFERENCE below: the EclipseFS format,
the measurements, the README), each a page. A link to any of those pages
becomes a link on the site, #anchor kept; a link to any other file (a
source file) becomes its path in code, since the site does not carry the
repository.
"""

import argparse
import glob
import html
import os
import re
import shutil
import sys

try:
    import markdown
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexer import RegexLexer, bygroups
    from pygments.token import Generic, Text
except ImportError:
    # Debian's packages live with Debian's python3; another python3 first
    # on PATH (pyenv, a venv) may not see them
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != \
            os.path.realpath("/usr/bin/python3") and not os.environ.get("SITE_REEXEC"):
        os.environ["SITE_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("docs: python3-markdown and python3-pygments are needed "
             "(tools/install-deps --with-optional installs them)")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUIDES = os.path.join(ROOT, "lab-guides")


def slugify(value, separator="-"):
    """Heading anchors as GitHub makes them, so the guides' own #links work
    on the site too: lower case, punctuation dropped, spaces to dashes."""
    value = re.sub(r"<[^>]+>", "", value)
    value = re.sub(r"[^\w\- ]", "", value.strip().lower())
    return value.replace(" ", separator)


# The repository's documents a student is sent to from the guides, each
# published as a page of the site: the format lab 6 reads, the
# measurements lab 8 quotes, and the README the guides cite for the tools
# and the design notes. Any other file outside the guides (a source file,
# a script) stays its path in code. (source, page, its name in the menu)
REFERENCE = [("docs/eclipsefs-format.md", "eclipsefs-format.html", "The EclipseFS format"),
             ("docs/measurements.md", "measurements.html", "Measurements"),
             ("README.md", "project.html", "The project's README")]


def title_of(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        first = f.readline().strip()
    return re.sub(r"^#\s*", "", first) or os.path.basename(path)


def labs():
    """[(number, file name, title)] of every guide, in lab order."""
    out = []
    for path in glob.glob(os.path.join(GUIDES, "lab*.md")):
        m = re.match(r"lab(\d+)-.*\.md$", os.path.basename(path))
        if not m:
            continue
        name = os.path.basename(path)
        out.append((int(m.group(1)), name, title_of("lab-guides/" + name)))
    return sorted(out)


def page_name(md):
    return "index.html" if md == "README.md" else md[:-3] + ".html"


# a link as Python-Markdown writes it: the target, any title, the text
LINK = re.compile(r'<a href="([^"]*)"([^>]*)>(.*?)</a>', re.S)


def fix_links(body, src, pages):
    """Point the links of the page made from `src` (a path in the
    repository) at the site: a link to a document with a page of its own
    goes to that page (its #anchor kept, since the headings' anchors are
    GitHub's), a figure stays where it is, and a link to any other file
    keeps its text, in code, without the link."""
    def link(m):
        href, attrs, text = m.groups()
        if re.match(r"^[a-z]+:|^#", href):
            return m.group(0)
        path, _, frag = href.partition("#")
        target = os.path.normpath(os.path.join(os.path.dirname(src), html.unescape(path)))
        if target in pages:
            return (f'<a href="{pages[target]}' + ("#" + frag if frag else "") +
                    f'"{attrs}>{text}</a>')
        if target.startswith("lab-guides/figures/"):
            return m.group(0)
        # outside the site: no page for it
        return (f'<span class="repo" title="in the repository: {html.escape(target)}">'
                f"{text}</span>")
    return LINK.sub(link, body)


if "RegexLexer" in globals():
    class KernelSessionLexer(RegexLexer):
        """A kernel-session block: the kernel's output, and commands typed
        at the `eclipse> ` prompt."""
        tokens = {"root": [
            (r"^(eclipse> )(.*\n?)", bygroups(Generic.Prompt, Generic.Strong)),
            (r"^\.\.\.\n?", Generic.Subheading),
            (r"^.+\n?", Generic.Output),
            (r"\n", Text),
        ]}


FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)
C_LIKE = re.compile(r";\s*$|^\s*[{}]|//|^#include|->|\bstruct\b|\buint\d+_t\b", re.M)


def highlight_fences(text):
    """Kernel sessions get their own colours (prompt, command, output);
    an unlabelled block that reads as C is highlighted as C."""
    def one(m):
        info, code = m.group(1).strip(), m.group(2)
        if info.startswith("kernel-session"):
            return "\n" + highlight(code, KernelSessionLexer(),
                                    HtmlFormatter(cssclass="highlight session")) + "\n"
        if not info and C_LIKE.search(code) and not re.search(r"^\s*(make|python3|\$) ",
                                                              code, re.M):
            return "```c\n" + code + "```"
        return m.group(0)
    return FENCE.sub(one, text)


def render(text, src, pages):
    text = highlight_fences(text)
    # Python-Markdown reads markdown inside a block-level HTML element only
    # when it says markdown="1"; GitHub needs no such attribute
    text = re.sub(r"^<details>\s*$", '<details markdown="1">', text, flags=re.M)
    md = markdown.Markdown(
        extensions=["fenced_code", "tables", "toc", "md_in_html", "codehilite", "sane_lists"],
        extension_configs={"codehilite": {"guess_lang": False, "css_class": "highlight"},
                           "toc": {"slugify": slugify}})
    return fix_links(md.convert(text), src, pages)


TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Eclipse RV</title>
<meta name="source" content="{source}">
<link rel="stylesheet" href="style.css">
<link rel="stylesheet" href="pygments.css">
</head>
<body>
<nav class="labs">
<a href="index.html" class="home{home_cur}">Eclipse RV course</a>
{nav}
</nav>
<main>
{body}
<nav class="pager">
{pager}
</nav>
</main>
</body>
</html>
"""

STYLE = """
body { margin: 0; font: 16px/1.55 system-ui, sans-serif; color: #1d232b; display: flex; }
nav.labs { position: sticky; top: 0; align-self: flex-start; height: 100vh; overflow-y: auto;
  box-sizing: border-box; width: 15rem; flex: none; padding: 1rem; background: #f1f4f8;
  border-right: 1px solid #d8dee6; }
nav.labs a { display: block; padding: .25rem .5rem; color: #1d4f91; text-decoration: none;
  border-radius: 4px; font-size: .92rem; }
nav.labs a.home { font-weight: 700; margin-bottom: .6rem; }
nav.labs a.current { background: #1d4f91; color: #fff; }
nav.labs .group { margin: 1rem .5rem .3rem; font-size: .8rem; font-weight: 700; color: #5a6472;
  text-transform: uppercase; letter-spacing: .04em; }
main { max-width: 52rem; padding: 1.5rem 2.5rem 1rem; min-width: 0; }
h1, h2, h3 { line-height: 1.25; }
h2 { border-bottom: 1px solid #d8dee6; padding-bottom: .2rem; margin-top: 2rem; }
code { font: .9em/1.4 ui-monospace, monospace; background: #f1f4f8; padding: .05em .25em;
  border-radius: 3px; }
.highlight { background: #f6f8fa; border: 1px solid #d8dee6; border-radius: 5px;
  overflow-x: auto; padding: .1rem .9rem; }
.highlight pre, pre { margin: .6rem 0; }
.highlight code, pre code { background: none; padding: 0; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .94rem; }
th, td { border: 1px solid #d8dee6; padding: .3rem .6rem; vertical-align: top; }
th { background: #f1f4f8; }
img { max-width: 100%; height: auto; display: block; margin: 1rem auto; }
details { border: 1px solid #d8dee6; border-radius: 5px; padding: .3rem .9rem; margin: 1rem 0;
  background: #fbfcfd; }
details > summary { cursor: pointer; font-weight: 600; color: #1d4f91; }
.repo { font-family: ui-monospace, monospace; font-size: .9em; }
.pager-links { display: flex; justify-content: space-between; border-top: 1px solid #d8dee6;
  margin-top: 2rem; padding: 1rem 0 2rem; }
.pager-links a { color: #1d4f91; }
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    out = args.out
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "figures"))
    for f in glob.glob(os.path.join(GUIDES, "figures", "*")):
        if f.endswith((".svg", ".dot")):
            shutil.copy(f, os.path.join(out, "figures"))
    with open(os.path.join(out, "style.css"), "w") as f:
        f.write(STYLE.lstrip())
    with open(os.path.join(out, "pygments.css"), "w") as f:
        f.write(HtmlFormatter(style="default").get_style_defs(".highlight") + "\n"
                ".session .gp { color: #1d4f91; font-weight: bold }\n"
                ".session .gs { color: #000; font-weight: bold }\n"
                ".session .go { color: #444 }\n")

    guide_list = labs()
    # repository path -> page, for every document the site carries
    pages = {"lab-guides/README.md": "index.html"}
    pages.update({"lab-guides/" + name: page_name(name) for _, name, _ in guide_list})
    pages.update({src: page for src, page, _ in REFERENCE})
    chain = [("lab-guides/README.md", "The course map")] + \
        [("lab-guides/" + name, title) for _, name, title in guide_list]
    reference = [(src, label) for src, _, label in REFERENCE]
    for src, title in chain + reference:
        with open(os.path.join(ROOT, src), encoding="utf-8") as f:
            body = render(f.read(), src, pages)
        me = pages[src]

        def entry(s, t):
            cur = ' class="current"' if pages[s] == me else ""
            return f'<a href="{pages[s]}"{cur}>{html.escape(t)}</a>'
        nav = "\n".join([entry(s, t) for s, t in chain[1:]] +
                        ['<div class="group">Reference</div>'] +
                        [entry(s, t) for s, t in reference])
        # the labs are read in order; a reference page leads back to the map
        i = [s for s, _ in chain].index(src) if src in dict(chain) else None
        if i is None:
            prev, nxt = chain[0], None
        else:
            prev = chain[i - 1] if i > 0 else None
            nxt = chain[i + 1] if i + 1 < len(chain) else None
        left = (f'<a rel="prev" href="{pages[prev[0]]}">&larr; {html.escape(prev[1])}</a>'
                if prev else "<span></span>")
        right = (f'<a rel="next" href="{pages[nxt[0]]}">{html.escape(nxt[1])} &rarr;</a>'
                 if nxt else "")
        page = TEMPLATE.format(title=html.escape(title), nav=nav, body=body,
                               source=html.escape(src),
                               home_cur=" current" if me == "index.html" else "",
                               pager=f'<div class="pager-links">{left}{right}</div>')
        with open(os.path.join(out, me), "w", encoding="utf-8") as f:
            f.write(page)
    print(f"docs: {out}/index.html, {len(guide_list)} lab pages and "
          f"{len(reference)} reference pages")


if __name__ == "__main__":
    main()
