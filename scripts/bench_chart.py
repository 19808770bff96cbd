#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""bench_chart.py RESULTS.tsv OUT.png [--note TEXT]: draw make bench's results.

One panel per measurement (the first column of results.tsv), one bar per
server, tlschatd's bar in its own colour, the goal (when the row has one) as a
dashed line, and which way is better in the panel's title. A measurement with
no rows is simply not drawn, so new rows (resumed handshakes, say) need no
change here. The first line of the file, a '#' comment, describes the run and
goes under the title.
"""
import argparse
import math
import sys


def read(path):
    about, panels = "", {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                about = about or line.lstrip("# ").strip()
                continue
            cols = line.split("\t")
            if len(cols) < 5:
                continue
            panel, server, value, unit, better = cols[:5]
            goal = cols[5] if len(cols) > 5 else ""
            try:
                v = float(value)
            except ValueError:
                continue
            p = panels.setdefault(panel, {"unit": unit, "better": better, "bars": [], "goal": None})
            p["bars"].append((server, v))
            if goal:
                try:
                    p["goal"] = float(goal)
                except ValueError:
                    pass
    return about, panels


def main():
    ap = argparse.ArgumentParser(description="Draw make bench's results.tsv as a PNG.")
    ap.add_argument("results")
    ap.add_argument("out")
    ap.add_argument("--note", default="", help="a line under the title (e.g. the machine)")
    a = ap.parse_args()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench_chart.py: matplotlib is missing: apt-get install python3-matplotlib", file=sys.stderr)
        return 2
    about, panels = read(a.results)
    if not panels:
        print(f"bench_chart.py: {a.results} has no results to draw", file=sys.stderr)
        return 1
    n = len(panels)
    cols = 2 if n > 1 else 1
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 1.9 * rows + 1.2), squeeze=False)
    for ax, (name, p) in zip(axes.flat, panels.items()):
        names = [s for s, _ in p["bars"]][::-1]
        values = [v for _, v in p["bars"]][::-1]
        colours = ["#1f6feb" if s == "tlschatd" else "#9aa4b1" for s in names]
        bars = ax.barh(names, values, color=colours, height=0.6)
        every = values + ([p["goal"]] if p["goal"] else [])
        top, least = max(every), min(v for v in every if v > 0) if any(v > 0 for v in every) else 1
        log = least > 0 and top / least > 30  # e.g. 94 ms beside 2,240 ms: both readable
        if log:
            ax.set_xscale("log")
            ax.set_xlim(least / 2, top * 4)
        else:
            ax.set_xlim(0, top * 1.3 if top > 0 else 1)
        for b, v in zip(bars, values):
            text = f"{v:,.0f}" if v >= 100 else f"{v:,.2f}".rstrip("0").rstrip(".")
            x = b.get_width() * 1.08 if log else b.get_width() + top * 0.01
            ax.text(x, b.get_y() + b.get_height() / 2, f"{text} {p['unit']}", va="center", fontsize=8)
        if p["goal"]:
            ax.axvline(p["goal"], color="#d1242f", linestyle="--", linewidth=1)
            ax.text(p["goal"], -0.5, f" goal {p['goal']:g}", color="#d1242f", fontsize=7, va="bottom")
        ax.set_title(f"{name} ({p['better']} is better{', log scale' if log else ''})", fontsize=9, loc="left")
        ax.tick_params(axis="both", labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle("tlschatd beside independent peers, same machine, same run", fontsize=11, x=0.01, ha="left")
    sub = a.note or about
    if sub:
        fig.text(0.01, 0.955 if rows > 2 else 0.93, sub, fontsize=7, ha="left", color="#57606a")
    fig.tight_layout(rect=(0, 0, 1, 0.93 if rows > 2 else 0.9))
    fig.savefig(a.out, dpi=80)
    return 0


if __name__ == "__main__":
    sys.exit(main())
