#!/usr/bin/env python3
"""Writes tests/fixtures/exports/: a small CRM opportunities export with the traits of real ones
(open stages, separate account / product / sales-team files keyed by name, a product spelled
'GTXPro' in the pipeline and 'GTX Pro' in the product file, a column name in two lookup files),
plus small files for the reader's locale and format cases. Deterministic (seed 20161020); run
from the repository root. The tests read the committed files, never this script."""
import random

OUT = "tests/fixtures/exports/"
rng = random.Random(20161020)

sectors = ["technolgy", "medical", "retail", "software", "finance", "marketing", "telecom"]
offices = ["United States", "Kenya", "Philipines", "Japan", "Italy", "Norway"]
accounts = []
for k, name in enumerate(["Acme Corporation", "Betatech", "Cancity", "Codehow", "Condax",
                          "Dalttechnology", "Dontechi", "Finjob", "Funholding", "Gekko & Co",
                          "Genco Pura Olive Oil Company", "Goodsilron", "Hottechi", "Isdom",
                          "Kan-code", "Konex", "Lexiqvolax", "Mathtouch", "Nam-zim", "Opentech",
                          "Plexzap", "Rangreen", "Ron-tech", "Scotfind", "Singletechno",
                          "Stanredtax", "Sunnamplex", "Treequote", "Umbrella Corp", "Xx-holding"]):
    sector = sectors[k % len(sectors)]
    accounts.append({"account": name, "sector": sector,
                     "year_established": 1979 + (k * 7) % 40,
                     "revenue": round(rng.uniform(40, 9000), 2),
                     "employees": rng.randint(20, 20000),
                     "region": ["East", "West", "Central"][k % 3],
                     "subsidiary_of": "Acme Corporation" if k % 9 == 4 else ""})

products = [("GTX Basic", "GTX", 550), ("GTX Pro", "GTX", 4821), ("MG Special", "MG", 55),
            ("MG Advanced", "MG", 3393), ("GTX Plus Pro", "GTX", 5482),
            ("GTX Plus Basic", "GTX", 1096), ("GTK 500", "GTK", 26768)]
agents = []
for k, (first, last) in enumerate([("Anna", "Snelling"), ("Cecily", "Lampkin"),
                                   ("Darcel", "Schlecht"), ("Moses", "Frase"),
                                   ("Jonathan", "Berthelot"), ("Marty", "Freudenburg"),
                                   ("Gladys", "Colclough"), ("Niesha", "Huffines"),
                                   ("James", "Ascencio"), ("Daniell", "Hammack"),
                                   ("Versie", "Hillebrand"), ("Hayden", "Neloms")]):
    agents.append({"sales_agent": first + " " + last,
                   "manager": ["Dustin Brinkmann", "Melvin Marxen", "Cara Losch",
                               "Rocco Neubert"][k // 3],
                   "region": ["Central", "East", "West"][k // 4],
                   "skill": (k * 5) % 12})

def logistic(x):
    import math
    return 1 / (1 + math.exp(-x))

rows = []
for i in range(480):
    acc = accounts[rng.randrange(len(accounts))]
    prod = products[rng.randrange(len(products))]
    ag = agents[rng.randrange(len(agents))]
    month = rng.randrange(14)                  # Oct 2016 .. Nov 2017
    y, m = 2016 + (9 + month) // 12, (9 + month) % 12 + 1
    engage = "%04d-%02d-%02d" % (y, m, 1 + rng.randrange(28))
    eta = 0.3 + 1.4 * (acc["sector"] in ("software", "medical")) - 1.5 * (prod[1] == "GTK") \
        + 0.22 * (ag["skill"] - 6) + rng.gauss(0, 0.3)
    won = rng.random() < logistic(eta)
    # later opportunities are more often still open
    p_open = 0.05 + 0.06 * month
    if rng.random() < p_open:
        stage = "Engaging" if rng.random() < 0.7 else "Prospecting"
        close, value = "", ""
    else:
        stage = "Won" if won else "Lost"
        cm = min(month + 1 + rng.randrange(3), 14)
        cy, cmo = 2016 + (9 + cm) // 12, (9 + cm) % 12 + 1
        close = "%04d-%02d-%02d" % (cy, cmo, 1 + rng.randrange(28))
        value = str(int(prod[2] * rng.uniform(0.9, 1.1))) if won else "0"
    name = "GTXPro" if prod[0] == "GTX Pro" else prod[0]
    rows.append([ "OP%05d" % (i + 1), ag["sales_agent"], name, acc["account"], stage, engage,
                  close, value])
# a few opportunities not yet tied to an account, as in the real export
for k, stage in ((17, "Won"), (99, "Lost"), (230, "Engaging")):
    rows[k][3] = ""
    if (rows[k][4] in ("Won", "Lost")) != (stage in ("Won", "Lost")):
        continue                    # keep the dates consistent with the stage
    rows[k][4] = stage

def write(path, header, data, sep=","):
    with open(OUT + path, "w", newline="") as f:
        f.write(sep.join(header) + "\n")
        for r in data:
            f.write(sep.join(str(x) for x in r) + "\n")

write("sales_pipeline.csv", ["opportunity_id", "sales_agent", "product", "account",
                             "deal_stage", "engage_date", "close_date", "close_value"], rows)
write("accounts.csv", ["account", "sector", "year_established", "revenue", "employees",
                       "region", "subsidiary_of"],
      [[a[k] for k in ("account", "sector", "year_established", "revenue", "employees",
                       "region", "subsidiary_of")] for a in accounts])
write("products.csv", ["product", "series", "sales_price"], products)
write("sales_teams.csv", ["sales_agent", "manager", "region"],
      [[a["sales_agent"], a["manager"], a["region"]] for a in agents])
# the same pipeline without a date column (an export cut down to stages and names)
write("pipeline_nodates.csv", ["opportunity_id", "sales_agent", "product", "account",
                               "deal_stage", "close_value"],
      [[r[0], r[1], r[2], r[3], r[4], r[7]] for r in rows])

# ---- reader cases --------------------------------------------------------------------------
# A German export: ';' separated, decimal commas, '.' thousands groups, day.month.year dates.
with open(OUT + "eu_leads.csv", "w", newline="") as f:
    f.write("Lead-ID;Erstellt;Branche;Umsatz;Rabatt;Status\n")
    for i in range(40):
        d = 1 + (i * 7) % 28
        m = 1 + i % 12
        amount = "%d,%02d" % (500 + i * 211, (i * 37) % 100)
        if i % 9 == 4:
            amount = "1.%03d,%02d" % (i * 13 % 1000, i % 100)    # 1.234,50
        f.write("L%03d;%02d.%02d.2016;%s;%s;%s;%s\n" % (
            i + 1, d, m, ["Handel", "Software", "Bau"][i % 3], amount,
            "0,%d" % (i % 10), "Won" if (i * 5) % 7 < 3 else "Lost"))
# A US export: month/day/year dates, ISO timestamps with Z, and a few cells without a value.
with open(OUT + "us_leads.csv", "w", newline="") as f:
    f.write("lead_id,created,last_touch,acv,visits,closed_won\n")
    for i in range(30):
        acv = str(1000 + 37 * i)
        if i == 6:
            acv = "NaN"
        elif i == 11:
            acv = "inf"
        elif i == 19:
            acv = "1e400"
        touch = "2016-%02d-%02dT10:%02d:00Z" % (1 + i % 12, 1 + i % 28, i % 60)
        if i == 14:
            touch = "2023-02-30T10:00:00Z"
        f.write("U%03d,%d/%d/2016,%s,%s,%d,%d\n" % (i + 1, 1 + i % 12, 1 + (i * 3) % 28 + (13 if i == 5 else 0) % 28,
                                                 touch, acv, i % 7, 1 if i % 3 == 0 else 0))
# Dates whose day and month are both 12 or less: the order cannot be told from the values.
with open(OUT + "ambiguous_dates.csv", "w", newline="") as f:
    f.write("lead_id,created,won\n")
    for i in range(12):
        f.write("A%02d,%02d/%02d/2017,%d\n" % (i + 1, 1 + i % 12, 1 + (i * 7) % 10, i % 2))
# A NUL byte inside a field (a file saved as UTF-16, or a damaged export).
with open(OUT + "nul.csv", "wb") as f:
    f.write(b"lead_id,source,won\nN1,web,1\nN2,pa\x00rtner,0\nN3,web,0\n")
# An outcome column of codes with values nobody named (2 and -1 besides 0 and 1).
with open(OUT + "stage_codes.csv", "w", newline="") as f:
    f.write("lead_id,source,converted\n")
    codes = [1, 0, 0, 2, 1, 0, -1, 0, 1, 0, 2, 0]
    for i, c in enumerate(codes):
        f.write("C%02d,%s,%d\n" % (i + 1, ["web", "event"][i % 2], c))
# A lookup file whose key repeats.
with open(OUT + "accounts_dup.csv", "w", newline="") as f:
    f.write("account,sector\nAcme Corporation,technolgy\nBetatech,medical\n"
            "Acme Corporation,retail\n")
