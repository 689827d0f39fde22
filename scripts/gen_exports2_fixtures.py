#!/usr/bin/env python3
"""Writes tests/fixtures/exports2/: the first 600 leads of datasets/synthetic-leads.csv (eight of
its columns) saved the way spreadsheets and CRM reports save them: dates with a time zone, as
Excel serial numbers or epoch milliseconds, two-digit years; amounts with a currency; spreadsheet
error cells; UTF-16; a title above the header, a footer below the data, blank trailing columns,
a totals row; ZIP codes with their leading zeros. Deterministic; run from the repository root.
The tests read the committed files, never this script (tests/cli/test_exports2.sh)."""
import csv
import datetime
import io

OUT = "tests/fixtures/exports2/"
COLS = ["lead_id", "created_date", "job_level", "employees", "lead_source",
        "pricing_page_visits", "became_sql", "closed_won", "acv"]

with open("datasets/synthetic-leads.csv", newline="") as f:
    rd = csv.DictReader(f)
    rows = [[r[c] for c in COLS] for _, r in zip(range(600), rd)]
DI, EI, AI = COLS.index("created_date"), COLS.index("employees"), COLS.index("acv")


def text(header, body, delim=","):
    s = io.StringIO()
    w = csv.writer(s, delimiter=delim, lineterminator="\n")
    w.writerow(header)
    w.writerows(body)
    return s.getvalue()


def save(name, data):
    with open(OUT + name, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def day(r):
    return datetime.datetime.strptime(r[DI], "%Y-%m-%d")


def with_dates(fmt):
    out = []
    for i, r in enumerate(rows):
        r = list(r)
        t = day(r) + datetime.timedelta(hours=8 + i % 9, minutes=i % 60, seconds=i % 47)
        r[DI] = fmt(i, t)
        out.append(r)
    return out


ZONES = ["+02:00", "Z", "-0500", ".250Z", "+0530", " UTC"]
save("dates_zone.csv", text(COLS, with_dates(
    lambda i, t: t.strftime("%Y-%m-%dT%H:%M:%S") + ZONES[i % len(ZONES)])))
save("dates_slash.csv", text(COLS, with_dates(lambda i, t: t.strftime("%Y/%m/%d"))))
save("dates_excel.csv", text(COLS, with_dates(
    lambda i, t: str((t.date() - datetime.date(1899, 12, 30)).days))))
save("dates_epoch_ms.csv", text(COLS, with_dates(
    lambda i, t: str(int((t - datetime.datetime(1970, 1, 1)).total_seconds()) * 1000))))
save("dates_2digit.csv", text(COLS, with_dates(
    lambda i, t: "%d/%d/%s" % (t.month, t.day, t.strftime("%y")))))

money = []
for r in rows:
    r = list(r)
    r[AI] = "${:,.2f}".format(float(r[AI])) if r[AI] else ""
    money.append(r)
save("acv_currency.csv", text(COLS, money))

ERRORS = ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!"]
errs = []
for i, r in enumerate(rows):
    r = list(r)
    if i % 25 == 3:
        r[EI] = ERRORS[(i // 25) % len(ERRORS)]
    errs.append(r)
save("excel_errors.csv", text(COLS, errs))

small = rows[:20]
save("utf16.csv", b"\xff\xfe" + text(COLS, small, "\t").replace("\n", "\r\n").encode("utf-16-le"))
save("title_line.csv", "Leads report - exported 2024-06-01\n" + text(COLS, small))
save("title_padded.csv", "Leads report" + "," * (len(COLS) - 1) + "\n" + text(COLS, small))
save("footer.csv", text(COLS, small) + '\n"Confidential Information - Do Not Distribute"\n'
     '"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."\n')
save("trailing_cols.csv", text(COLS + ["", ""], [r + ["", ""] for r in rows]))
save("unnamed_value.csv", text(COLS + [""], [r + ["note" if i == 7 else ""]
                                             for i, r in enumerate(small)]))
sums = ["Total"] + [""] * (len(COLS) - 1)
sums[EI] = str(sum(int(r[EI]) for r in rows if r[EI]))
save("totals_row.csv", text(COLS, rows + [sums]))
# ZIP codes with their leading zeros (Boston, Hoboken, Newark) beside ones without: codes, not
# amounts. Eight leads carry Boston's 02134 as Excel saves it without the zero (2134).
ZIPS = ["02134", "02139", "07030", "07102", "10001", "60601", "94105"]
ZI = COLS.index("lead_source") + 1
zips = [r[:ZI] + ["2134" if i % 75 == 3 else ZIPS[(i * 5 + i // 7) % len(ZIPS)]] + r[ZI:]
        for i, r in enumerate(rows)]
save("zip_codes.csv", text(COLS[:ZI] + ["zip"] + COLS[ZI:], zips))
# Codes without a leading zero: West-coast ZIPs in a column named as a CRM exports it, phone
# numbers, NAICS codes; a count whose name starts with phone stays a number. Won leads come more
# often from two ZIPs, so the old numeric reading cut the ZIPs into ranges.
WEST = ["90001", "90210", "94105", "94107", "97201", "98101", "98109", "85001"]
WI = COLS.index("closed_won")
west = [r[:ZI] + [WEST[(i * 3) % 2 + 2 if r[WI] == "1" and i % 3 else (i * 5 + i // 7) % len(WEST)],
                  str(4155550000 + i * 13), ["541511", "511210", "523110", "334111"][i % 4],
                  str(i * 7 % 5)] + r[ZI:]
        for i, r in enumerate(rows)]
save("zip_west.csv", text(COLS[:ZI] + ["Billing Zip/Postal Code", "Phone", "NAICS Code",
                                        "phone_calls"] + COLS[ZI:], west))
# A stray zero-padded cell among 2,000 amounts stays a number (050 is 50); three-digit SKUs with
# one 007 are codes (one width); account numbers of 3 to 6 digits, 30 of them (1.5%) written
# with leading zeros, are codes.
def lcg(k):
    return (k * 1103515245 + 12345) % 2147483648


stray = []
for i in range(2000):
    x = lcg(i + 1)
    amount = "050" if i == 1000 else str(10 + x % 99990)
    sku = "007" if i == 500 else str(100 + (x >> 8) % 900)
    acct = "00" + str(100 + i) if i % 67 == 5 else str(100 + (x >> 4) % (10 ** (3 + i % 4)))
    stray.append([f"S{i + 1:05d}", amount, sku, acct, str((x >> 12) % 2)])
save("stray_zero.csv", text(["lead_id", "amount", "sku", "account_no", "won"], stray))
