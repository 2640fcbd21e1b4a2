"""`make bench`, or `python -m tools.bench` from the repository's root: the options and the order
of the runs. The package's docstring (tools/bench/__init__.py) says what is measured and how to
read the tables."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
from pathlib import Path

from devkit import checkout_files

from . import __doc__ as DESCRIPTION
from .common import OUTPUT, ROOT, STRICT, Report, fresh, shown, stop_stray_postgres, use_tmpdir
from .generator import HandbookGenerator
from .handbook import bench_handbook
from .peers import PEER_CACHE, PEER_KEYS, PEER_SIZES, bench_peers, peer_checks
from .playground import bench_playground
from .report import render, save
from .scaling import HUGE_PAGES, bench_generated, bench_huge, profile_fast_build, scaling_checks
from .weight import bench_page_weight

SIZES = "100,500,1000,2000"
QUICK_SIZES = "100"
SMALLEST = HandbookGenerator.SMALLEST


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench",
        description=DESCRIPTION.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes",
        help=f"page counts of the generated handbooks (default: {SIZES}; "
        f"with --quick: {QUICK_SIZES}); at least {SMALLEST} each; 'none' skips part B",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="repetitions of every figure (default: 3 for the real handbook and for "
        "generated sizes up to 500, 2 above)",
    )
    parser.add_argument(
        "--stock-max-pages",
        type=int,
        default=500,
        help="skip stock Furo navigation above this size: it is quadratic, ~860 s at "
        "1000 pages on a 2-core machine (default: %(default)s)",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"one repetition, and size {QUICK_SIZES} only unless --sizes says"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds per build (default: %(default)s)")
    parser.add_argument("--skip-handbook", action="store_true", help="only the generated handbooks")
    parser.add_argument(
        "--profile",
        type=int,
        metavar="PAGES",
        help="cProfile the fast build of a generated handbook of PAGES pages (done at "
        "500 pages anyway when the fast build is not within 1.5x basic at 1000)",
    )
    parser.add_argument(
        "--huge",
        type=int,
        nargs="?",
        const=HUGE_PAGES,
        metavar="PAGES",
        help=f"also build a generated handbook of {HUGE_PAGES:,} pages (or PAGES), fast and basic "
        "only, with peak memory, search and make livehtml, and check them (on demand: hours)",
    )
    parser.add_argument(
        "--peers",
        help=f"C: the tools to build the same generated pages with, comma-separated, or 'none' "
        f"(default: all of {','.join(PEER_KEYS)}; --quick: none unless given)",
    )
    parser.add_argument(
        "--peer-sizes",
        default=PEER_SIZES,
        help="page counts of the peers' generated handbooks; the growth exponent is taken between "
        "the smallest and the largest (default: %(default)s)",
    )
    parser.add_argument(
        "--peer-live-max-pages",
        type=int,
        metavar="PAGES",
        help="time the peers' live servers only at sizes up to PAGES (default: at every size); "
        "each server starts with a full build of its own",
    )
    parser.add_argument(
        "--peer-cache",
        type=Path,
        default=PEER_CACHE,
        help=f"folder of the peers' venvs, installed once at their pinned versions (default: {shown(PEER_CACHE)})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=OUTPUT.folder,
        help=f"folder for bench.json, the build logs and a profile (default: {shown(OUTPUT.folder)})",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat = args.sizes or QUICK_SIZES, 1
    sizes = args.sizes or SIZES
    args.sizes = [] if sizes == "none" else [int(size) for size in sizes.split(",") if size.strip()]
    args.peer_sizes = [int(size) for size in args.peer_sizes.split(",") if size.strip()]
    if any(size < SMALLEST for size in args.sizes + args.peer_sizes + [args.huge or SMALLEST]):
        parser.error(f"--sizes, --peer-sizes, --huge: a generated handbook needs at least {SMALLEST} pages")
    if args.peers is None:
        args.peers = "none" if args.quick else ",".join(PEER_KEYS)
    args.peers = [] if args.peers == "none" else [key.strip() for key in args.peers.split(",") if key.strip()]
    if unknown := set(args.peers) - set(PEER_KEYS):
        parser.error(f"--peers: unknown {', '.join(sorted(unknown))}; known: {', '.join(PEER_KEYS)}")
    args.out = args.out.resolve()
    args.peer_cache = args.peer_cache.resolve()
    return args


def repeats(args: argparse.Namespace, pages: int | None) -> int:
    if args.repeat is not None:
        return args.repeat
    return 3 if pages is None or pages <= 500 else 2


def run_benchmarks(args: argparse.Namespace, report: Report, work: Path) -> None:
    support = checkout_files(ROOT)
    if not args.skip_handbook:
        site = bench_handbook(report, work, repeats(args, None), args.timeout)
        if site is not None:
            bench_page_weight(report, site, args.timeout)
            bench_playground(report, site, args.timeout)
        else:
            report.not_measured.append("page weight and search sizes: no successful build of the handbook")
        save(report)
    for pages in args.sizes:
        bench_generated(report, work, pages, repeats(args, pages), args.stock_max_pages, args.timeout, support)
        save(report)
    within = scaling_checks(report)
    if args.huge:
        bench_huge(report, work, args.huge, args.repeat or 1, args.timeout, support)
        save(report)
    if args.peers:
        for pages in args.peer_sizes:
            live = args.peer_live_max_pages is None or pages <= args.peer_live_max_pages
            bench_peers(
                report, work, pages, args.peers, repeats(args, pages), args.timeout, support, args.peer_cache, live
            )
            save(report)
        peer_checks(report)
    profile_pages = args.profile or (500 if within.note.startswith("no") else None)
    if profile_pages:
        report.meta["profile"] = profile_fast_build(work, profile_pages, args.timeout, support)
        report.meta["profile_pages"] = profile_pages


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    OUTPUT.folder = args.out
    fresh(OUTPUT.logs)
    report = Report(
        meta={
            "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "machine": f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "load_average_at_start": os.getloadavg(),
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "command": STRICT,
        }
    )
    with tempfile.TemporaryDirectory(prefix="handbook-bench-") as scratch:
        work = Path(scratch)
        use_tmpdir(work / "tmp")
        try:
            run_benchmarks(args, report, work)
        finally:
            stop_stray_postgres()
    report.meta["load_average_at_end"] = os.getloadavg()
    path = save(report)
    print(render(report))
    if "profile" in report.meta:
        print(
            f"\nProfile of the fast build, {report.meta['profile_pages']} generated pages "
            f"({shown(OUTPUT.folder)}/profile-fast-{report.meta['profile_pages']}.prof):\n"
        )
        print(report.meta["profile"])
    print(f"\nJSON: {shown(path)}; build logs: {shown(OUTPUT.logs)}/")
    measured = report.handbook + [x for r in report.generated for x in r.figures()]
    failed = any(f.status == "failed" for f in measured)  # a peer that fails is reported, not an error
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
