#!/usr/bin/env python3
"""Writes the small lead exports of tests/fixtures/exports/ (issue 10, items 1, 2, 7, 8).

Each file reproduces a trait seen in a real CRM export; the numbers are drawn with a fixed seed
so the files are the same on every run:
  spellings.csv     'Lead Source' holds Google and google (and ' Google '), 'Tier' holds 1 and
                    1.0 in a text column, 'Do Not Email' holds yes / y / Yes / no / No
  placeholders.csv  'Specialization' answers 'Select' on a third of the rows (a real answer in
                    this export: the form's default that the lead kept)
  decimals.csv      'Pages Per Visit' with one decimal, 'Spend' with cents and 'Visit Ratio'
                    in sevenths (no short decimal form), so the fitted steps have cut points
                    like 2, 894.37 and 4/7
Run: python3 scripts/make_export_fixtures.py tests/fixtures/exports
"""
import csv
import math
import random
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/exports"
rng = random.Random(10)


def logistic(x):
    return 1 / (1 + math.exp(-x))


def date(i, n):
    # 2023-01-01 .. about 2024-06-30, in row order
    day = int(i * 545 / n)
    y, m, d = 2023, 1, 1
    mdays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    while True:
        ml = mdays[m - 1] + (1 if m == 2 and y % 4 == 0 else 0)
        if d + day <= ml:
            d += day
            break
        day -= ml - d + 1
        d = 1
        m += 1
        if m == 13:
            m, y = 1, y + 1
    return "%04d-%02d-%02d" % (y, m, d)


def spellings(path, n=600):
    src = [("Google", 0.0), ("Direct Traffic", -0.6), ("Olark Chat", -1.0),
           ("Organic Search", 0.3), ("Reference", 1.5)]
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["Lead Number", "Created", "Lead Source", "Tier", "Do Not Email",
                    "TotalVisits", "Converted"])
        for i in range(n):
            s, eff = src[rng.choices(range(5), weights=[40, 25, 15, 12, 8])[0]]
            if s == "Google":
                r = rng.random()
                s = "google" if r < 0.06 else " Google " if r < 0.09 else "Google"
            tier = rng.choices(["1", "1.0", "2", "3", "Enterprise"], weights=[30, 8, 25, 20, 17])[0]
            teff = {"1": 0.4, "1.0": 0.4, "2": 0.0, "3": -0.4, "Enterprise": 0.8}[tier]
            dne = rng.choices(["no", "No", "yes", "y", "Yes"], weights=[50, 25, 10, 8, 7])[0]
            deff = -0.9 if dne.lower().startswith("y") else 0.0
            visits = rng.choice([0, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10])
            eta = -1.0 + eff + teff + deff + 0.12 * visits
            y = 1 if rng.random() < logistic(eta) else 0
            w.writerow([660000 + i, date(i, n), s, tier, dne, visits, y])


def placeholders(path, n=500):
    spec = [("Select", 0.9), ("Finance Management", 0.2), ("Marketing Management", 0.0),
            ("Human Resource Management", -0.3), ("", -0.8)]
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["Prospect ID", "Created", "Specialization", "City", "Page Views", "Converted"])
        for i in range(n):
            sp, eff = spec[rng.choices(range(5), weights=[33, 20, 20, 15, 12])[0]]
            city = rng.choices(["Mumbai", "Thane", "Select", "NA"], weights=[50, 25, 15, 10])[0]
            pv = rng.choice([1, 2, 2, 3, 4, 5])
            eta = -0.8 + eff + 0.1 * pv
            y = 1 if rng.random() < logistic(eta) else 0
            w.writerow(["p-%05d" % i, date(i, n), sp, city, pv, y])


def decimals(path, n=600):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["Lead Number", "Created", "Pages Per Visit", "Spend", "Visit Ratio",
                    "Converted"])
        for i in range(n):
            ppv = round(rng.choice([1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.5, 7.0]), 1)
            spend = round(rng.uniform(0, 1500), 2)
            ratio = rng.randint(0, 12) / 7     # no short decimal form: 0.14285714285714285
            eta = -1.5 + 0.35 * ppv + 0.0008 * spend + 0.3 * ratio
            y = 1 if rng.random() < logistic(eta) else 0
            w.writerow([770000 + i, date(i, n), ("%d" % ppv if ppv == int(ppv) and rng.random() < 0.5 else "%.1f" % ppv),
                        "%.2f" % spend, repr(ratio), y])


spellings(out + "/spellings.csv")
placeholders(out + "/placeholders.csv")
decimals(out + "/decimals.csv")
