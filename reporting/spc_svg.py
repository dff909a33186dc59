"""An SPC chart drawn as SVG by hand: text stays text, no plotting library.

The picture repeats what the table beside it says (values, mean, limits,
signals), so it is an image with a title and a description for screen
readers, and every colour it uses is named in words on the page.
"""

from __future__ import annotations

import zlib

from markupsafe import Markup, escape

from reporting.spc import VARIATION_COLOURS, SpcChart

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 60, 16, 20, 66


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def chart_svg(chart: SpcChart) -> Markup:
    points = chart.points
    if not points:
        return Markup("")
    values = [p.value for p in points]
    lines: dict[str, float] = {}
    if chart.limits:
        lines = {
            "Upper process limit": chart.limits.upper,
            "Mean": chart.limits.mean,
            "Lower process limit": chart.limits.lower,
        }
    elif chart.centre is not None:
        lines = {"Median": chart.centre}
    low = min([*values, *lines.values()])
    high = max([*values, *lines.values()])
    if high == low:
        high, low = high + 1, low - 1
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * (i + 0.5) / len(points))

    def y(v: float) -> float:
        return TOP + plot_h * (high - v) / (high - low)

    ident = f"spc-{zlib.crc32(chart.title.encode()):08x}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="app-spc" role="img" aria-labelledby="{ident}-t {ident}-d" '
        f'font-family="Frutiger W01, Arial, sans-serif" font-size="15">',
        f'<title id="{ident}-t">{escape(chart.title)}</title>',
        f'<desc id="{ident}-d">{escape(_description(chart))}</desc>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        'stroke="#4c6272"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#4c6272"/>',
    ]
    for name, value in lines.items():
        dashed = "" if name in ("Mean", "Median") else ' stroke-dasharray="6 4"'
        out.append(
            f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{WIDTH - RIGHT}" y2="{y(value):.1f}" '
            f'stroke="#425563"{dashed}/>'
            f'<text x="{WIDTH - RIGHT}" y="{y(value) - 4:.1f}" text-anchor="end" '
            f'fill="#212b32">{escape(name)} {_number(value)}</text>'
        )
    for tick in (low + pad, (low + high) / 2, high - pad):
        out.append(
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" '
            f'fill="#212b32">{_number(tick)}</text>'
        )
    path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    out.append(f'<polyline points="{path}" fill="none" stroke="#768692" stroke-width="2"/>')
    # About six quarters named, counted back from the latest (always named):
    # the table beside the chart names every one, and fewer labels stay
    # legible at half a page's width.
    every = max(1, -(-len(points) // 6))
    for i, (point, row) in enumerate(zip(points, chart.rows, strict=True)):
        colour = VARIATION_COLOURS[row.variation]
        out.append(
            f'<circle cx="{x(i):.1f}" cy="{y(point.value):.1f}" r="5" fill="{colour}" '
            'stroke="#ffffff"/>'
        )
        if point.note:
            out.append(
                f'<line x1="{x(i):.1f}" y1="{TOP}" x2="{x(i):.1f}" y2="{TOP + plot_h}" '
                'stroke="#330072" stroke-dasharray="2 3"/>'
                f'<text x="{x(i) + 3:.1f}" y="{TOP + 10}" fill="#330072">*</text>'
            )
        if (len(points) - 1 - i) % every == 0:
            out.append(
                f'<text x="{x(i):.1f}" y="{TOP + plot_h + 16}" text-anchor="end" '
                f'transform="rotate(-35 {x(i):.1f} {TOP + plot_h + 16})" '
                f'fill="#212b32">{escape(point.label)}</text>'
            )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 (every text escaped, numbers formatted)


def _description(chart: SpcChart) -> str:
    first, last = chart.points[0], chart.points[-1]
    kind = "XmR chart" if chart.is_xmr else "Run chart"
    text = f"{kind} of {len(chart.points)} quarters, {first.label} to {last.label}. "
    if chart.limits:
        text += (
            f"Mean {_number(chart.limits.mean)}, process limits "
            f"{_number(chart.limits.lower)} to {_number(chart.limits.upper)}. "
        )
    signals = chart.variations
    text += "; ".join(signals) + "." if signals else "No special cause variation."
    return text
