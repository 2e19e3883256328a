"""Charts of the Targets table, one per section, drawn with gnuplot (Debian:
gnuplot-nox): horizontal bars of each row's ratio, coloured by its verdict,
the target as a black mark, parity (1×) as a dotted line. The numbers are
read back from the very cells that results.md prints, so a chart cannot say
anything the table does not. Rows whose ratio is not a single figure (e.g.
"412 ms / 3.1 ms") are left out; rows not measured keep their label.

For each chart NAME, writes chart-NAME.dat and chart-NAME.gp (kept beside the
PNG, so a chart can be redrawn or restyled: gnuplot chart-NAME.gp) and runs
gnuplot on them. Used by report.py, report_large.py and report_remote.py."""
import math
import os
import re
import shutil
import subprocess
import sys
import textwrap

COLOURS = {"MET": "#2e8b57", "MISSED": "#d62728", "info": "#7f9fbf"}


def parse_ratio(cell):
    """'1.234×' -> 1.234; '55.0%' -> 0.55; '+3.1%' -> 1.031; else None."""
    cell = cell.strip()
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)×", cell)
    if m:
        return float(m.group(1))
    m = re.fullmatch(r"([+-][0-9]+(?:\.[0-9]+)?)%", cell)
    if m:
        return 1 + float(m.group(1)) / 100
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)%", cell)
    if m:
        return float(m.group(1)) / 100
    return None


def parse_target(cell):
    """'≤ 1.10×' -> 1.10; '≥ 50%' -> 0.5; '≤ +5%' -> 1.05; '—' -> None."""
    return parse_ratio(re.sub(r"^[≤≥]\s*", "", cell.strip()))


def verdict_key(cell):
    for key in ("NOT MEASURED", "MISSED", "MET"):
        if key in cell:
            return key
    return "info"


def plain(text):
    return text.replace("`", "").replace("**", "")


def gp_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def draw(out_dir, charts):
    """charts: [(name, title, rows)], rows as in the Targets table
    (comparison, ratio, cross-check, target, verdict). Returns
    [(title, file name)] of the PNGs drawn, or None if gnuplot is missing
    (one line on stderr says so)."""
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        print("charts: gnuplot is not installed (Debian: gnuplot-nox); charts skipped",
              file=sys.stderr)
        return None
    drawn = []
    for name, title, rows in charts:
        if not rows:
            continue
        png = f"chart-{name}.png"
        try:
            if _draw_one(gnuplot, out_dir, name, png, title, rows):
                drawn.append((title, png))
        except (OSError, subprocess.CalledProcessError) as error:
            print(f"charts: {png} not drawn: {error}", file=sys.stderr)
    return drawn


def _draw_one(gnuplot, out_dir, name, png, title, rows):
    entries = []  # (label lines, value or None, target or None, verdict, text)
    for comparison, ratio_cell, _, target_cell, verdict_cell in rows:
        value = parse_ratio(ratio_cell)
        key = verdict_key(verdict_cell)
        if value is None and key != "NOT MEASURED":
            continue  # not a single ratio: the table has it
        label = plain(comparison)
        if key == "NOT MEASURED":
            label += " (not measured)"
        lines = textwrap.wrap(label, 75)[:3]
        entries.append((lines, value, parse_target(target_cell), key, ratio_cell.strip()))
    if not entries:
        return False

    figures = [v for _, v, t, _, _ in entries for v in (v, t) if v is not None and v > 0]
    low, high = (min(figures), max(figures)) if figures else (1.0, 1.0)
    low, high = min(low, 1.0), max(high, 1.0)
    log = high / low > 30
    if log:
        base = 10 ** math.floor(math.log10(low / 1.2))
        xrange = f"[{base}:{high * 2.5}]"
    else:
        base = 0
        xrange = f"[0:{high * 1.3}]"

    n = len(entries)
    dat = os.path.join(out_dir, f"chart-{name}.dat")
    with open(dat, "w", encoding="utf-8") as f:
        f.write(f"# {title}: y value colour \"text\" x-of-text (index 0: bars; "
                "index 1: targets)\n")
        for i, (_, value, target, key, text) in enumerate(entries):
            if value is not None:
                colour = int(COLOURS.get(key, COLOURS["info"])[1:], 16)
                text_x = max(value, target or value)  # right of the bar and of its mark
                f.write(f"{n - i} {value} {colour} {gp_string(text)} {text_x}\n")
        f.write("\n\n# y target\n")
        targets = [(n - i, t) for i, (_, _, t, _, _) in enumerate(entries) if t is not None]
        for y, t in targets or [(0, "NaN")]:  # gnuplot refuses an empty block
            f.write(f"{y} {t}\n")

    line_count = sum(len(lines) for lines, *_ in entries)
    height = 110 + 26 * max(line_count, n) + 14 * n
    ytics = ", ".join(f"{gp_string(chr(10).join(lines))} {n - i}"
                      for i, (lines, *_) in enumerate(entries))
    script = f"""# {title}: drawn by bench/charts.py from the Targets table of results.md
set terminal pngcairo noenhanced size 1400,{height} font "sans,10"
set encoding utf8
set output {gp_string(png)}
set title {gp_string(title)} font "sans,14"
set datafile separator whitespace
set yrange [0.4:{n + 0.6}]
set ytics ({ytics}) nomirror
set ytics font "sans,9"
set xlabel "ratio to the baseline (bar; black mark: the target; dotted: parity, 1)"
set xrange {xrange}
{"set logscale x" if log else "unset logscale x"}
set grid xtics lc rgb "#dddddd"
set arrow from 1, graph 0 to 1, graph 1 nohead dt 3 lc rgb "#555555"
set key outside bottom center horizontal
set bmargin 6
set lmargin 80
set style fill solid 0.85 noborder
plot {gp_string(os.path.basename(dat))} index 0 using ({base}):1:({base}):2:($1-0.32):($1+0.32):3 \\
       with boxxyerror lc rgb variable notitle, \\
     '' index 0 using 5:1:4 with labels left offset 0.8,0 notitle, \\
     '' index 1 using 2:($1-0.45):(0):(0.9) with vectors nohead lw 3 lc rgb "black" title "target", \\
     NaN with boxes lc rgb "{COLOURS['MET']}" title "met", \\
     NaN with boxes lc rgb "{COLOURS['MISSED']}" title "missed", \\
     NaN with boxes lc rgb "{COLOURS['info']}" title "no target"
"""
    gp = os.path.join(out_dir, f"chart-{name}.gp")
    with open(gp, "w", encoding="utf-8") as f:
        f.write(script)
    result = subprocess.run([gnuplot, os.path.basename(gp)], cwd=out_dir, capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        print(f"charts: gnuplot failed on {gp}: {result.stderr.strip()}", file=sys.stderr)
        return False
    return True


def markdown(drawn):
    """Lines of results.md that link the charts (relative names)."""
    if drawn is None:
        return ["## Charts\n", "Not drawn: gnuplot is not installed (Debian: gnuplot-nox).\n"]
    if not drawn:
        return []
    out = ["## Charts\n",
           "Each section's rows of the Targets table as bars (green: met; red: missed; blue: "
           "no target), the target as a black mark, parity as a dotted line. Ratios that are "
           "percentages of a baseline's throughput are drawn as fractions (55% as 0.55). "
           "The data and gnuplot script of each are beside it (`chart-NAME.dat`, "
           "`chart-NAME.gp`).\n"]
    for title, png in drawn:
        out.append(f"![{title}]({png})\n")
    return out
