"""Where a page's server time goes: cProfile of the daily pages, signed in as a branch clerk.

    python bench/profile_pages.py --database-url URL [--requests 30] [--only TEXT] [--top 25]

Against a database loaded by ``bench/bench_pages.py --keep`` (it is neither loaded nor changed
here). Each page is requested twice to warm up, then ``--requests`` times under cProfile; the
report prints the page's median server time and the functions with the most cumulative time
per request (in ms), so that what to make cheaper is read from a profile, not guessed.

``--lean`` instead compares the lean list rows (``views.lean_list``) with Flask-Admin's per-cell
macros (``SecuredModelView.lean_list = False``) in the same process, their requests interleaved
so that the machine's load weighs on both alike: the median wall and CPU time of each.

A plain script, not a test: it reports, it does not assert.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_pages  # noqa: E402

#: (label, URL, who): the clerk's daily pages, and the audit trail as the regional head reads it.
PAGES = [
    ("members", "/admin/member/", bench_pages.CLERK),
    ("claims", "/admin/claim/", bench_pages.CLERK),
    ("claim queue", "/admin/claim_queue/", bench_pages.CLERK),
    ("registration queue", "/admin/registration_queue/", bench_pages.CLERK),
    ("audit", "/admin/audit/", bench_pages.HEAD),
    ("member details", "/admin/member/details/?id={office_member}", bench_pages.CLERK),
    ("claim details", "/admin/claim/details/?id={office_claim}", bench_pages.CLERK),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=bench_pages.DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--only", help="profile only the pages whose label contains this text")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--lean", action="store_true", help="lean rows against the macros")
    args = parser.parse_args()
    os.chdir(ROOT)
    app = bench_pages._app(args.database_url)
    values = bench_pages._samples(app)
    clients = {}
    if args.lean:
        print("| page | macros: wall / CPU ms | lean: wall / CPU ms | CPU macros / lean |")
        print("|---|---|---|---|")
    for label, url, user in PAGES:
        if args.only and args.only not in label:
            continue
        url = url.format(**values)
        client = clients.get(user) or clients.setdefault(user, bench_pages._client(app, user))
        for _ in range(2):
            assert client.get(url).status_code == 200, url
        if args.lean:
            _lean_against_macros(label, url, client, args.requests)
            continue
        times = []
        for _ in range(args.requests):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            client.get(url)
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        print(f"\n## {label} ({url}): median {statistics.median(times):.1f} ms unprofiled")
        print(f"cumulative ms per request of the {args.top} costliest functions:\n")
        rows = []
        for (filename, line, name), (_cc, nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            where = filename.replace(str(ROOT) + "/", "").split("site-packages/")[-1]
            rows.append((ct / args.requests * 1000, nc / args.requests, f"{where}:{line}({name})"))
        rows.sort(reverse=True)
        for ms, calls, where in rows[: args.top]:
            print(f"{ms:8.2f} ms {calls:8.0f} calls  {where}")


def _lean_against_macros(label: str, url: str, client: object, requests: int) -> None:
    from views.base import SecuredModelView

    timings: dict[bool, tuple[list[float], list[float]]] = {True: ([], []), False: ([], [])}
    for _ in range(requests):
        for lean in (True, False):
            SecuredModelView.lean_list = lean
            wall, cpu = time.perf_counter(), time.process_time()
            client.get(url)  # type: ignore[attr-defined]
            timings[lean][0].append((time.perf_counter() - wall) * 1000)
            timings[lean][1].append((time.process_time() - cpu) * 1000)
    SecuredModelView.lean_list = True
    lean, macros = ([statistics.median(t) for t in timings[key]] for key in (True, False))
    print(
        f"| {label} | {macros[0]:.1f} / {macros[1]:.1f} | {lean[0]:.1f} / {lean[1]:.1f} "
        f"| {macros[1] / lean[1]:.2f}x |"
    )


if __name__ == "__main__":
    main()
