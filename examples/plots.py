# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""plots.py -- draw libcpae's figures with matplotlib from the JSON files
written by examples/figures.c (``make figures``) and examples/demo.c
(``make demo``).

    /usr/bin/python3 examples/plots.py figures DIR     # DIR/*.json -> DIR/*.png
    /usr/bin/python3 examples/plots.py demo JSON PNG   # the demo's figure

Every figure has axes with tick labels, a title, and a legend or colour bar
where colours mean something.
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from mpl_toolkits.mplot3d.art3d import Poly3DCollection  # noqa: E402

plt.rcParams.update({"font.size": 10, "axes.titlesize": 11, "figure.dpi": 110})


def _load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _region_colours(n, seed=0):
    """n distinct pastel colours in random order, so neighbours differ."""
    rng = np.random.default_rng(seed)
    cmap = plt.get_cmap("tab20")
    return [cmap(i % 20) for i in rng.permutation(n)]


def partition(src, dst):
    f = _load(src)
    data = np.asarray(f["data"])
    u0, u1, v0, v1 = f["rect"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.4))
    for ax, panel in zip(axes, f["panels"]):
        polys = [np.asarray(p) for p in panel["polygons"]]
        pc = PolyCollection(polys, facecolors=_region_colours(len(polys)),
                            edgecolors="k", linewidths=0.25)
        ax.add_collection(pc)
        ax.scatter(data[:, 0], data[:, 1], s=6, c="k", zorder=3)
        ax.set_xlim(u0, u1)
        ax.set_ylim(v0, v1)
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_title("%s: %d regions" % (panel["name"], panel["n_regions"]))
        ax.legend(handles=[Patch(facecolor="#c6dbef", edgecolor="k", linewidth=0.5,
                                 label="one colour = one region (exact)"),
                           plt.Line2D([], [], marker="o", ls="", c="k", ms=3,
                                      label="training data (%d)" % len(data))],
                  loc="lower center", fontsize=8, framealpha=0.9)
    fig.suptitle("Input-space partition of D(E(x)), exact slice (%s; train rel. error %.3f)"
                 % (f["model"], f["train_rel_error"]))
    fig.tight_layout()
    fig.savefig(dst)
    plt.close(fig)


def surface(src, dst):
    f = _load(src)
    data = np.asarray(f["data"])
    pieces = [np.asarray(p) for p in f["pieces"]]
    heights = np.array([p[:, 2].mean() for p in pieces])
    norm = matplotlib.colors.Normalize(heights.min(), heights.max())
    cmap = plt.get_cmap("viridis")
    fig = plt.figure(figsize=(8.5, 6.8))
    ax = fig.add_subplot(projection="3d")
    coll = Poly3DCollection(pieces, facecolors=cmap(norm(heights)), edgecolors="k",
                            linewidths=0.2, alpha=0.6)
    ax.add_collection3d(coll)
    ax.scatter(data[:, 0], data[:, 1], data[:, 2], s=3, c="r", depthshade=False,
               label="training data (%d)" % len(data))
    allv = np.concatenate(pieces + [data])
    ax.set_xlim(allv[:, 0].min(), allv[:, 0].max())
    ax.set_ylim(allv[:, 1].min(), allv[:, 1].max())
    ax.set_zlim(allv[:, 2].min(), allv[:, 2].max())
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_zlabel("$x_3$")
    ax.view_init(elev=28, azim=-58)
    sm = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, shrink=0.6, pad=0.1, label="mean $x_3$ of the affine piece")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("Decoder surface D(z) over the encodings' latent box: %d affine pieces "
                 "(outlined)\n%s, train rel. error %.3f"
                 % (f["n_pieces"], f["model"], f["train_rel_error"]))
    fig.tight_layout()
    fig.savefig(dst)
    plt.close(fig)


def orbit(src, dst):
    f = _load(src)
    th = np.asarray(f["theta"])
    cmap = plt.get_cmap("coolwarm")
    norm = matplotlib.colors.Normalize(th.min(), th.max())
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), layout="constrained")
    for ax, key, title in ((axes[0], "orbit", "orbit $\\exp(\\theta G)\\,x_0$"),
                           (axes[1], "reconstruction",
                            "reconstructions $D(E(\\exp(\\theta G)\\,x_0))$")):
        for t, s in zip(th, f[key]):
            ax.plot(np.asarray(s[0]), color=cmap(norm(t)), lw=1.2)
        ax.set_xlabel("time step")
        ax.set_ylabel("value (z-normalised series)")
        ax.set_title(title)
    sm = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=axes[1], label="$\\theta$")
    ax = axes[2]
    ax.step(f["dense_theta"], f["dense_region"], where="post", color="k", lw=1)
    ax.set_xlabel("$\\theta$")
    ax.set_ylabel("region index (order of first visit)")
    ax.set_title("regions along the orbit: %d distinct, %d changes\n(%d thetas + 12 "
                 "bisections; lower bounds)" % (f["distinct"], f["changes"], f["samples"]))
    fig.suptitle("%s; learned G: cosine with the cyclic-shift generator %.3f"
                 % (f["model"], f["cos_shift"]), fontsize=10)
    fig.savefig(dst)
    plt.close(fig)


def balls(src, dst):
    f = _load(src)
    r = np.asarray(f["radii"])
    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    colours = plt.get_cmap("tab10")
    for i, c in enumerate(f["centres"]):
        reg = np.asarray(c["regions"], float)
        pts = np.asarray(c["points"], float)
        ax.plot(r, reg, "-o", ms=3, color=colours(i),
                label="regions in the ball, centre = series %d" % c["index"])
        ax.plot(r, np.maximum(pts, 0.8), "--s", ms=3, color=colours(i),
                label="training series in the ball, centre = series %d" % c["index"])
    ax.axhline(f["n_samples"], color="0.4", ls=":", lw=1,
               label="samples per ball (the count's ceiling)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("ball radius $\\rho$ (input space)")
    ax.set_ylabel("count")
    ax.set_title("Regions in a ball vs data points in it (%d training series;\nregions: "
                 "distinct codes among %d uniform samples, a lower bound)"
                 % (f["n_train"], f["n_samples"]))
    ax.grid(True, which="both", lw=0.3, alpha=0.5)
    ax.legend(fontsize=7, loc="lower right", bbox_to_anchor=(0.84, 0.09))
    fig.tight_layout()
    fig.savefig(dst)
    plt.close(fig)


def demo(src, dst):
    f = _load(src)
    sets = f["sets"]
    ncol = max(len(s["panels"]) for s in sets)
    fig, axes = plt.subplots(len(sets), ncol, figsize=(4.2 * ncol, 3.0 * len(sets)),
                             squeeze=False)
    # Drawn wide to narrow so that coinciding reconstructions all show.
    styles = {"test series": dict(color="k", lw=1.2),
              "Lie (local)": dict(color="tab:red", lw=3.0, alpha=0.55),
              "AE": dict(color="tab:blue", lw=1.5),
              "PCA-16": dict(color="0.15", lw=0.9, ls=(0, (3, 2)))}
    for r, s in enumerate(sets):
        for c, p in enumerate(s["panels"]):
            ax = axes[r][c]
            for name in ("test series", "Lie (local)", "AE", "PCA-16"):
                ax.plot(np.asarray(p[name]), label=name, **styles[name])
            ax.set_title("%s, test series %d" % (s["name"], p["index"]))
            ax.set_xlabel("time step")
            ax.set_ylabel("value")
            ax.grid(True, lw=0.3, alpha=0.5)
    axes[0][0].legend(fontsize=8, loc="best")
    fig.suptitle("Test reconstructions (seed 1 of the demo): PCA-16 vs AE vs Lie-regularized "
                 "AE\n(where the lines coincide the selected models stayed near their PCA "
                 "start; errors in the printed table)")
    fig.tight_layout()
    fig.savefig(dst)
    plt.close(fig)


FIGURES = {"partition": partition, "surface": surface, "orbit": orbit, "balls": balls}


def main(argv):
    if len(argv) == 3 and argv[1] == "figures":
        for name, draw in FIGURES.items():
            src = os.path.join(argv[2], name + ".json")
            draw(src, os.path.join(argv[2], name + ".png"))
            print("drew %s" % os.path.join(argv[2], name + ".png"))
        return 0
    if len(argv) == 4 and argv[1] == "demo":
        demo(argv[2], argv[3])
        print("drew %s" % argv[3])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
