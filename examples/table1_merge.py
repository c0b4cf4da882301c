#!/usr/bin/env python3
"""table1_merge.py -- merge per-seed CSV files written by examples/table1.

Runs of table1 can be split over seeds (--first-seed) and methods (-m);
this script gathers their per-seed rows (dataset, method, seed) and prints
the same Markdown tables table1 prints: mean +- sample std over seeds, best
mean per row in bold, plus the mean training time per run (from the CSVs
that have a seconds column) and, per data set, whether the better Lie form
beats the plain AE. A (dataset, method, seed) row given twice, or one data
set with different sizes in different files, is an error. The CSV does not
record the epochs or architecture: merge only runs of one protocol.

Usage: table1_merge.py [--csv OUT] FILE.csv...
Standard library only.
"""
import csv
import math
import sys

METHODS = ["ae", "dae", "hoc", "lie-local", "lie-exact"]
NAMES = {"ae": "AE", "dae": "Den. AE", "hoc": "H.O.C. AE",
         "lie-local": "Lie (local)", "lie-exact": "Lie (exact)"}
APPROX = {"ECG5000"}  # test split is the approximate copy (PROVENANCE)


def mean_std(v):
    m = sum(v) / len(v)
    s = math.sqrt(sum((a - m) ** 2 for a in v) / (len(v) - 1)) if len(v) > 1 else 0.0
    return m, s


def main(argv):
    out_csv = None
    files = []
    i = 0
    while i < len(argv):
        if argv[i] == "--csv":
            if i + 1 >= len(argv):
                sys.exit("--csv needs a file name")
            out_csv = argv[i + 1]
            i += 2
        else:
            files.append(argv[i])
            i += 1
    if not files:
        sys.exit(__doc__)
    rows, shape, order = {}, {}, []
    for fn in files:
        with open(fn, newline="") as f:
            for r in csv.DictReader(f):
                if r["method"] not in METHODS:
                    sys.exit("%s: unknown method %r" % (fn, r["method"]))
                key = (r["dataset"], r["method"], int(r["seed"]))
                if key in rows:
                    sys.exit("%s: %s seed %d given twice" % (fn, key[:2], key[2]))
                sec = r.get("seconds")
                rows[key] = (float(r["rel_error"]), float(r["mse"]),
                             float(sec) if sec not in (None, "") else None)
                sh = (r["n_train"], r["n_test"], r["d"])
                if r["dataset"] not in shape:
                    order.append(r["dataset"])
                    shape[r["dataset"]] = sh
                elif shape[r["dataset"]] != sh:  # e.g. a different --max-train
                    sys.exit("%s: %s is %s/%s, d = %s here but %s/%s, d = %s elsewhere"
                             % ((fn, r["dataset"]) + sh + shape[r["dataset"]]))
    used = [m for m in METHODS if any(k[1] == m for k in rows)]

    def cell(ds, m, idx):
        v = [val[idx] for k, val in rows.items() if k[0] == ds and k[1] == m
             and val[idx] is not None]
        return (mean_std(v), len(v)) if v else (None, 0)

    for idx, title in ((0, "Test mean relative error ||x^ - x|| / ||x||, x 10^-2"),
                       (1, "Test MSE per element, x 10^-2")):
        print("%s (mean ± std over seeds; n = seeds):\n" % title)
        print("| data set (n_train/n_test, d) | " + " | ".join(NAMES[m] for m in used) + " |")
        print("|---|" + "---:|" * len(used))
        for ds in order:
            cells = {m: cell(ds, m, idx) for m in used}
            best = min((c[0][0] for c in cells.values() if c[0]), default=None)
            line = "| %s%s (%s/%s, %s) |" % ((ds, "*" if ds in APPROX else "") + shape[ds])
            for m in used:
                (ms, n) = cells[m]
                if not ms:
                    line += " - |"
                    continue
                v = "%.2f" % (100 * ms[0])
                line += " %s ± %.2f (%d) |" % ("**%s**" % v if ms[0] == best else v,
                                               100 * ms[1], n)
            print(line)
        print()
    print("Training time per run, seconds (mean over the runs that were timed):\n")
    print("| data set | " + " | ".join(NAMES[m] for m in used) + " |")
    print("|---|" + "---:|" * len(used))
    for ds in order:
        line = "| %s |" % ds
        for m in used:
            ms, n = cell(ds, m, 2)
            line += " %.2f |" % ms[0] if ms else " - |"
        print(line)
    print("\nBetter Lie form vs AE (mean relative error):\n")
    wins = total = 0
    for ds in order:
        ae = cell(ds, "ae", 0)[0]
        lie = [c[0][0] for c in (cell(ds, "lie-local", 0), cell(ds, "lie-exact", 0)) if c[0]]
        if ae and lie:
            total += 1
            wins += min(lie) < ae[0]
            print("- %s: AE %.2f, best Lie %.2f (%s)" % (ds, 100 * ae[0], 100 * min(lie),
                  "lower" if min(lie) < ae[0] else "not lower"))
    print("\nThe better Lie form is lower on %d of %d data sets." % (wins, total))
    if out_csv:
        with open(out_csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["dataset", "n_train", "n_test", "d", "method", "seed", "rel_error",
                        "mse", "seconds"])
            for (ds, m, s), (rel, mse, sec) in sorted(
                    rows.items(), key=lambda kv: (order.index(kv[0][0]),
                                                  METHODS.index(kv[0][1]), kv[0][2])):
                w.writerow([ds, *shape[ds], m, s, "%.9g" % rel, "%.9g" % mse,
                            "" if sec is None else "%.4f" % sec])


if __name__ == "__main__":
    main(sys.argv[1:])
