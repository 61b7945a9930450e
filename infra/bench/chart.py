"""The bench's chart: per function, its median init, its first request and its zip size as bars,
each panel with its target as a line (where the report has one), written as one SVG with no
dependency. `make bench` writes target/bench/chart.svg beside report.json; docs/performance.svg
is the one of the code as landed. Alone: `python -m bench.chart [report.json] [out.svg]` (from
infra/)."""

import json
import sys
from pathlib import Path
from xml.sax.saxutils import escape

ROW = 18
LABEL = 170
BAR = 230
GAP = 40
TOP = 46


def panel(x: int, title: str, unit: str, values: list[float], target: float | None) -> list[str]:
    """One column of bars, scaled to the largest value or the target, with the target's line."""
    scale_to = max(values + ([target] if target else [])) or 1
    parts = [f'<text x="{x}" y="{TOP - 22}" class="title">{escape(title)}</text>']
    for i, value in enumerate(values):
        y = TOP + i * ROW
        width = max(1.0, BAR * value / scale_to)
        over = target is not None and value > target
        parts.append(f'<rect x="{x}" y="{y}" width="{width:.1f}" height="{ROW - 5}" class="{"over" if over else "bar"}"/>')
        parts.append(f'<text x="{x + width + 4:.1f}" y="{y + ROW - 7}" class="value">{value:g} {unit}</text>')
    if target:
        tx = x + BAR * target / scale_to
        bottom = TOP + len(values) * ROW
        parts.append(f'<line x1="{tx:.1f}" y1="{TOP - 6}" x2="{tx:.1f}" y2="{bottom}" class="target"/>')
        parts.append(f'<text x="{tx:.1f}" y="{TOP - 8}" class="target-label">target {target:g} {unit}</text>')
    return parts


def chart(report: dict) -> str:
    functions = report["functions"]
    names = [f["function"] for f in functions]
    targets = report.get("targets", {})
    init = [f["init_ms"]["median"] for f in functions]
    first = [f["first_invoke_ms"] for f in functions]
    zips = [round((f["zip_bytes"] or 0) / 1_000_000, 2) for f in functions]
    zip_target = targets.get("zip_bytes")
    width = LABEL + 3 * (BAR + 90 + GAP)
    height = TOP + len(names) * ROW + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        "<style>.bar{fill:#4c78a8}.over{fill:#e45756}.target{stroke:#222;stroke-dasharray:4 3}"
        ".title{font-weight:bold;font-size:12px}.value{fill:#333}.target-label{fill:#222;font-size:10px}</style>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for i, name in enumerate(names):
        parts.append(f'<text x="{LABEL - 6}" y="{TOP + i * ROW + ROW - 7}" text-anchor="end">{escape(name)}</text>')
    columns = [
        ("init, median of fresh processes", "ms", init, targets.get("init_ms")),
        ("first request of a fresh process", "ms", first, targets.get("first_invoke_ms")),
        ("zip", "MB", zips, zip_target / 1_000_000 if zip_target else None),
    ]
    for n, (title, unit, values, target) in enumerate(columns):
        parts += panel(LABEL + n * (BAR + 90 + GAP), title, unit, values, target)
    machine = report.get("machine", {})
    parts.append(f'<text x="6" y="{height - 10}" class="value">make bench: {escape(str(machine.get("cpu", "")))}, '
                 f'{machine.get("cores", "?")} cores, {escape(str(machine.get("arch", "")))}; red: over its target</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write(report: dict, out: Path) -> None:
    out.write_text(chart(report))


if __name__ == "__main__":
    from . import ROOT

    source = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target" / "bench" / "report.json"
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else source.with_name("chart.svg")
    write(json.loads(source.read_text()), out)
    print(out)
