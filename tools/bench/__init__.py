"""Benchmark the handbook: build and rebuild times, live-preview latency, page weight, search size,
and how the build scales with the number of pages.

Run it with the handbook's venv: ``make bench``, or ``make bench BENCH_ARGS="--quick"`` for a
short smoke run (``python -m tools.bench [--quick] ...`` from the repository's root is the same).
It prints its tables and writes the same figures (with every repetition's value) to
``_build/bench/bench.json``; the log of every build is kept under ``_build/bench/logs`` (``--out``
puts both elsewhere). tests/test_bench.py runs the smallest mode, ``--quick --skip-handbook
--sizes 44``: one generated handbook of the smallest size the generator makes, built once.

What it measures
----------------
A. The real handbook, copied into a temporary directory (the files ``git ls-files -co
   --exclude-standard`` lists, committed into a fresh repository so that the git-based "last
   updated" dates have history) and built with ``python -m sphinx -b html -W --keep-going -n -j 1``:

   1. a cold build (fresh output and doctrees) with the executable examples' cache present, and
      one with an empty cache; their difference is the time the examples add to a cold build.
      The examples' count is the number of cache entries the empty-cache build wrote. A third
      cold build runs the examples in the build's own process (HANDBOOK_BENCH_INLINE_EXAMPLES=1,
      for this comparison only): the empty-cache build over it is what isolating every page's
      examples in a forked worker costs.
   2. an incremental rebuild after appending a sentence to one page;
   3. an incremental rebuild after adding a page to a toctree, and whether every page's sidebar
      then lists the new page ("sidebars fresh");
   4. ``make livehtml``: seconds from saving an edit to the edit being served;
   5. the bytes a first visit to a typical essay downloads (the HTML and every stylesheet,
      script, font and image it loads), raw and gzip -6, and apart from it the Mermaid files a
      page with diagrams loads (recorded from headless Chromium, since Mermaid picks them at
      run time);
   6. the size of ``searchindex.js`` (the handbook builds none: Pagefind replaces it) and of
      ``_pagefind/`` when present.

B. Generated handbooks of N source pages (``--sizes``), with realistic ~600-word pages, shaped
   like the real one (sections that split into chapters of at most ``CHAPTER_PAGES`` pages as
   they grow), built four ways: "fast" (the handbook's conf, its fast navigation), "bare" (the
   same without the knowledge-base features: tags, backlinks, related pages, health;
   ``-D handbook_knowledge=0``, to measure what they cost), "stock" (Furo's own navigation,
   ``-D handbook_fast_navigation=0``) and "basic" (``-D html_theme=basic``). The basic theme warns
   about Furo's theme options, so the basic build may exit non-zero: it counts as a success when
   those are its only warnings.

   B2. Search in the fast build, in Chromium: a reader on the home page types a query into the
   search box and presses Enter; the time to the first result and to the whole first page of
   results with excerpts, from the search page's first request to Pagefind, and from Enter;
   and the bytes a first query downloads. The Checks table compares them, at
   ``SEARCH_TARGET_PAGES`` pages, with ``SEARCH_LIMITS``.
   B3. ``make livehtml`` in the generated handbook of ``LIVEHTML_PAGES`` pages, as in A4.
   B4. ``--huge [PAGES]`` (on demand; hours at the default 10,000 pages): the fast and basic
   builds of one more generated handbook, interleaved, with each build's peak memory (the
   largest process's resident set, from wait4's rusage), search (B2) and ``make livehtml`` (B3)
   in it; Checks rows for scaling.HUGE_LIMITS: the fast build within 1.2x basic, its peak memory
   within 1.5x basic's, the average page within 10% of the 1,000-page one (or of the largest
   smaller size in --sizes), the first search result under 0.3 s, livehtml under 1 s.
   B5. ``--profile PAGES`` (and at 500 pages when the fast build misses its limit at 1,000): each
   phase of a cold fast build (start-up, reading and parsing, pickling, writing, finishing with
   Pagefind) timed from Sphinx's progress messages with -j 1 and -j 2; the same build with -j 2
   and each switch of scaling.SWITCHES (smart quotes, Pagefind, llms files, source copies, the
   knowledge-base features; what each configuration choice wins); then the serial build under
   cProfile, its functions' own time summed by package (ours, MyST-Parser, docutils, Sphinx,
   Jinja, pickling...; a builtin or standard-library function counts as its caller's).

C. The peers (``peers.py``; ``--peers LIST`` picks some, ``--quick`` skips them unless it is
   given, ``--peer-sizes`` defaults to 200 and 1,000 pages): the same generated pages built by
   this handbook (``make html``'s command, -j auto, and -j 1), the Sphinx basic theme (as in B),
   pydata-sphinx-theme (a plain Sphinx + MyST-Parser project), MkDocs Material with and without
   ``navigation.prune``, Zensical and Jupyter Book 2. Each peer is installed by the benchmark into
   a venv of its own at the versions pinned in peers.py (not in the handbook's requirements;
   kept in ``--peer-cache``, _build/bench-peers), and its project is written from the same page
   texts (peers.py's docstring says what the conversion to plain Markdown drops). A peer that
   cannot be installed or built here is "left out" with the reason: Jupyter Book 2 downloads its
   book theme from api.mystmd.org at build time, which the package registries alone cannot
   give it. Per tool and size: the cold build (median of interleaved repetitions) and its ratio
   to this handbook's in the same repetition; save-to-served in the tool's own live server
   (``make livehtml``, sphinx-autobuild, ``mkdocs serve``, ``zensical serve``: a line appended to
   one page, the page polled until it shows the line); the average page HTML, the output size
   and the build's peak memory; and the growth exponent k (time ~ N^k) between the smallest and
   largest size. The Checks table says whether this handbook's cold build at 1,000 pages is no
   slower than MkDocs Material's with ``navigation.prune``, and whether ``make livehtml`` serves a
   saved edit there sooner than ``mkdocs serve`` (both set-ups) and ``zensical serve``.

How to read the tables
----------------------
Every figure comes from runs made by this invocation; nothing is carried over or typed in.
"median" is the median of the repetitions, "min-max" their range and "n" their number.
Repetitions are interleaved (fast, stock, basic, fast, stock, basic, ...; cached, empty,
cached, empty, ...), and a ratio or difference is computed within one repetition before
taking the median, so that a noisy neighbour slows both sides of a comparison alike.
"x basic" is the build's time divided by the basic theme's time in the same repetition.
"skipped (quadratic; --stock-max-pages)" marks the stock-Furo builds left out above that size;
"failed" means a build did not succeed (its log is named in the note), and its time is not used.
Sizes in the tables are KiB (1024 bytes); the JSON has exact bytes.

The modules
-----------
``__main__`` the options and the order of the runs; ``common`` the records (Figure, Report,
Build...), running sphinx-build, the shared helpers; ``handbook`` part A1-A3; ``livehtml`` A4 and
B3; ``weight`` A5; ``search`` A6 and B2; ``generator`` the generated handbooks; ``scaling`` part
B's builds, the scaling checks, --huge and the profile; ``peers`` part C; ``report`` the tables
and the JSON. Copying the
checkout and waiting for a server are tools/devkit.py's, shared with the tests.
"""

import sys
from pathlib import Path

# The handbook extension (_ext: handbook.localserver) and tools/devkit.py, importable however the
# package is started (python -m tools.bench, or imported by the tests as bench).
for _folder in ("_ext", "tools"):
    _path = str(Path(__file__).resolve().parents[2] / _folder)
    if _path not in sys.path:
        sys.path.insert(0, _path)
