"""Write the figures of the last hardening run into tests/hardening/README.md.

Run after the suite: python -m tests.hardening.report
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.hardening.figures import collected

README = Path(__file__).with_name("README.md")
START, END = "<!-- figures:start -->", "<!-- figures:end -->"


def _mb(value: int) -> str:
    return f"{value / 1024 / 1024:.1f} MB"


def lines(f: dict) -> list[str]:
    p, c, h, m, mo, s3, r = (
        f.get(k, {}) for k in ("paths", "crash", "herd", "minifier", "mongodb_faults", "s3_faults", "resources")
    )
    chunk = r.get("gridfs_chunk_size", 1)
    return [
        "| case | measured |",
        "|---|---|",
        f"| hostile names | {p.get('names')} names; tag arguments through requests: {json.dumps(p.get('tag_statuses'))} "
        f"(0 × 500); {p.get('css_references')} CSS `url()`/`@import` references in {p.get('css_files')} files; "
        f"{p.get('upload_names')} upload names ({p.get('stored_under_clean_names')} stored, all under clean names); "
        f"GridFS view URLs: {json.dumps(p.get('view_statuses'))}; S3 keys: {p.get('s3_keys_refused')} of "
        f"{p.get('s3_keys_tried')} refused, the rest inside the prefix; reads or writes outside the roots: 0 |",
        f"| SIGKILL during builds | {c.get('runs')} runs ({c.get('killed')} killed, {c.get('completed')} finished; a build "
        f"takes ~{c.get('typical_build_seconds')} s); {c.get('bodies_checked')} bodies fetched through nginx and checked "
        f"against their content stamp: {c.get('partial_bodies')} partial; manifest read {c.get('manifest_reads')} times, "
        f"always whole; temporary files seen after kills: {c.get('temporary_files_seen_after_kills')}, left after the "
        f"next start: {c.get('temporary_files_left_at_the_end')} |",
        f"| herd | {h.get('renders')} cold renders in {h.get('processes')} processes: {h.get('errors')} errors, "
        f"{h.get('builds')} builds for {h.get('outputs')} assembled outputs ({h.get('linked_builds')} for the "
        f"{h.get('linked_outputs')} images hard-linked to their sources, which take no lock; with content stamps they "
        f"are copies, built once under the lock), {h.get('distinct_pages')} distinct page; files byte-identical to a "
        f"quiet build |",
        f"| minifier meaning | {m.get('scripts')} corpus scripts run in node `vm` before/after minifying: "
        f"{m.get('differing')} differ; {m.get('bundles')} combined bundles: {m.get('bundle_differences')} differ; "
        f"minified size {m.get('minified_size_ratio')} of the original |",
        f"| MongoDB faults | {json.dumps(mo.get('statuses'))}; longest request held {mo.get('longest_request_seconds')} s; "
        f"chunks orphaned by an upload cut mid-way: {mo.get('orphaned_chunks_after_cut_upload')}, after the sweep: "
        f"{mo.get('orphaned_chunks_after_sweep')} |",
        f"| S3 faults | {s3.get('modes')}: {s3.get('renders')} renders, slowest {s3.get('slowest_render_seconds')} s; "
        f"{s3.get('objects')} objects in the bucket, {s3.get('zero_byte_or_wrong_objects')} zero-byte or wrong |",
        f"| resources | 2 GB GridFS download: peak {_mb(r.get('gridfs_2gb_download_peak_bytes', 0))} "
        f"(~{r.get('gridfs_2gb_download_peak_bytes', 0) // chunk} chunks of {chunk // 1024} KB) in "
        f"{r.get('gridfs_2gb_download_seconds')} s; its upload peaked at {_mb(r.get('gridfs_2gb_upload_peak_bytes', 0))}; "
        f"{r.get('ranges_in_header')} overlapping ranges: HTTP {r.get('ranges_status')}, "
        f"{r.get('ranges_bytes_read_from_mongodb')} bytes read for a {r.get('ranges_file_size')}-byte file; "
        f"10 MB unterminated CSS/JS minified in {json.dumps(r.get('unterminated_10mb_minify_seconds'))} s |",
        *media_lines(f),
        *fuzz_lines(f),
        *scanner_lines(f),
    ]


def scanner_lines(f: dict) -> list[str]:
    """Rows of issue 11's unbounded-state case and of the linear-time cases (the largest text of each
    hostile pattern and the time it took; four times the text costs about four times the work)."""
    u, s = f.get("unbounded state", {}), f.get("linear scanners", {})
    texts = "; ".join(f"{name}: {value}" for name, value in sorted(s.items()))
    return [
        f"| unbounded state | {u.get('unknown_names')} unknown names: {u.get('lock_files_left')} lock files left, "
        f"{u.get('remembered')} remembered in memory (the bound); {u.get('spellings')} spellings of one file: "
        f"{u.get('manifest_entries')} manifest entry |",
        f"| linear scanners | {len(s)} hostile patterns, each timed at 1× and 4× its size: {texts} |",
    ]


def fuzz_lines(f: dict) -> list[str]:
    """Row of the minify fuzz case (issue 13): hostile bytes and text through the minify path."""
    z = f.get("fuzz_minify", {})
    quick, many = z.get("quick", {}), z.get("many", {})
    return [
        f"| minify fuzz | in a child process: {quick.get('cases')} cases ({_mb(quick.get('source_bytes', 0))}) in "
        f"{quick.get('seconds')} s, {many.get('cases')} more over {many.get('seeds')} seeds in {many.get('seconds')} s "
        "(random bytes, lone surrogates, NUL, marks, charsets, 1.5 MB lines): 0 signals, 0 exceptions |",
    ]


def media_lines(f: dict) -> list[str]:
    """Rows of the GridFS media cases (issue 11): data safety, streaming memory, names, Chromium."""
    d, st, n, b = (f.get(k, {}) for k in ("gridfs_data_safety", "media_streaming", "media_names", "media_browser"))
    return [
        f"| GridFS data safety | {d.get('unanswered_document_insert')}; {d.get('sweep_during_upload')} |",
        f"| GridFS streaming memory | 32 MiB download, growth of the serving process's peak RSS: gunicorn (WSGI) "
        f"{st.get('wsgi_32mib_peak_growth_kib')} KiB, uvicorn (ASGI) {st.get('asgi_32mib_peak_growth_kib')} KiB |",
        f"| GridFS names and types | {n.get('candidates')} candidate names: {n.get('stored_and_served')} stored and "
        f"served, {n.get('refused_by_both')} refused by storage and view alike; Chromium: "
        f"{json.dumps(b.get('chromium'))} |",
    ]


def main() -> None:
    text = README.read_text()
    head, _old, tail = text.partition(START)[0], None, text.partition(END)[2]
    README.write_text(head + START + "\n" + "\n".join(lines(collected())) + "\n" + END + tail)
    print(f"updated {README}")


if __name__ == "__main__":
    main()
