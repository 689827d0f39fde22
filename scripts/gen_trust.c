/* gen_trust.c: the fixtures of tests/fixtures/trust/ (issue 11, "trustworthy by default"),
 * deterministic from a fixed seed with its own generator (no libc rand), so the files are the same
 * on every machine:
 *
 *   gen_trust leaky OUT.csv      2,000 leads shaped like a real education-lead export: a genuine
 *                                signal in occupation, lead origin, time on site and e-mail
 *                                consent, plus columns filled during or after the sales process
 *                                (Tags, Lead Quality, Last Notable Activity, a vendor activity
 *                                score) and a Lead Number identifier rising with row order
 *   gen_trust nosignal OUT.csv   1,600 leads over two years whose firmographics carry no signal:
 *                                the outcome is a coin with P(won) = 0.22 whatever the columns say
 *
 * tests/fixtures/trust/README.md says how the files are regenerated. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64 (S. Vigna): small, fast, and the same everywhere. */
static uint64_t state;

static uint64_t next_u64(void)
{
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double unif(void)
{
    return (double)(next_u64() >> 11) / 9007199254740992.0;
}

/* An index drawn with the given weights (they need not sum to 1). */
static size_t pick(const double *w, size_t n)
{
    double s = 0, u;
    for (size_t k = 0; k < n; k++)
        s += w[k];
    u = unif() * s;
    for (size_t k = 0; k < n; k++) {
        if (u < w[k])
            return k;
        u -= w[k];
    }
    return n - 1;
}

static double logistic(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* Days since 1970-01-01 to YYYY-MM-DD (proleptic Gregorian; H. Hinnant's civil_from_days). */
static void date_str(long z, char *buf, size_t cap)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    snprintf(buf, cap, "%04ld-%02ld-%02ld", y + (m <= 2), m, d);
}

#define DAY_2024_01_01 19723L

static int leaky(FILE *f)
{
    static const char *const origin[] = {"Landing Page Submission", "API", "Lead Add Form",
                                         "Lead Import"};
    static const double origin_w[] = {0.53, 0.39, 0.07, 0.01};
    static const double origin_b[] = {0.0, -0.3, 1.8, -0.5};
    static const char *const source[] = {"Google", "Direct Traffic", "Olark Chat",
                                         "Organic Search", "Reference", "Welingak Website"};
    static const double source_w[] = {0.31, 0.28, 0.19, 0.13, 0.06, 0.03};
    static const char *const occupation[] = {"Unemployed", "Working Professional", "Student",
                                             "Other", ""};
    static const double occ_w[] = {0.60, 0.08, 0.03, 0.01, 0.28};
    static const double occ_b[] = {0.0, 2.0, -0.4, 0.0, -0.8};
    static const char *const country[] = {"India", "United States", "United Arab Emirates",
                                          "Singapore", ""};
    static const double country_w[] = {0.70, 0.01, 0.01, 0.01, 0.27};
    static const char *const activity[] = {"Email Opened", "SMS Sent", "Olark Chat Conversation",
                                           "Page Visited on Website", "Converted to Lead",
                                           "Email Bounced"};
    static const double activity_w[] = {0.37, 0.30, 0.11, 0.07, 0.05, 0.04};
    static const double activity_b[] = {0.0, 0.9, -1.0, -0.3, -0.9, -1.2};
    fputs("Prospect ID,Lead Number,Created Date,Lead Origin,Lead Source,Do Not Email,"
          "TotalVisits,Total Time Spent on Website,Page Views Per Visit,Last Activity,Country,"
          "What is your current occupation,A free copy of Mastering The Interview,Tags,"
          "Lead Quality,Last Notable Activity,Vendor Activity Score,Converted\n", f);
    long number = 579533;
    state = 20261206;
    for (int i = 0; i < 2000; i++) {
        number += 1 + (long)(unif() * 40);
        long day = DAY_2024_01_01 + (long)(i * 540L / 2000);
        char date[16];
        date_str(day, date, sizeof date);
        size_t o = pick(origin_w, 4), s = pick(source_w, 6), oc = pick(occ_w, 5);
        size_t co = pick(country_w, 5), a = pick(activity_w, 6);
        int dne = unif() < 0.08;
        int visits = (int)floor(-log(1 - unif()) * 3.5);
        double minutes = visits ? -log(1 - unif()) * 9 : 0;
        int seconds = (int)(minutes * 60);
        double views = visits ? 1 + floor(unif() * 4 * 100) / 100 : 0;
        int free_copy = unif() < 0.31;
        double eta = -1.1 + origin_b[o] + occ_b[oc] + activity_b[a] - 1.2 * dne +
                     0.06 * fmin(minutes, 30);
        int won = unif() < logistic(eta);
        /* Filled by the sales team during or after the process. */
        const char *tag;
        double u = unif();
        if (won)
            tag = u < 0.28 ? "Closed by Horizzon" : u < 0.70 ? "Will revert after reading the email"
                  : u < 0.78 ? "Busy" : "";
        else
            tag = u < 0.25 ? "Ringing" : u < 0.40 ? "Interested in other courses"
                  : u < 0.50 ? "Already a student" : u < 0.56 ? "switched off"
                  : u < 0.58 ? "Will revert after reading the email" : "";
        static const char *const quality[] = {"High in Relevance", "Might be", "Not Sure",
                                              "Low in Relevance", "Worst", ""};
        static const double q_won[] = {0.20, 0.25, 0.10, 0.08, 0.01, 0.36};
        static const double q_lost[] = {0.02, 0.12, 0.12, 0.05, 0.10, 0.59};
        const char *lq = quality[pick(won ? q_won : q_lost, 6)];
        static const char *const notable[] = {"Modified", "Email Opened", "SMS Sent",
                                              "Page Visited on Website",
                                              "Had a Phone Conversation"};
        static const double n_won[] = {0.22, 0.25, 0.33, 0.04, 0.16};
        static const double n_lost[] = {0.45, 0.33, 0.12, 0.09, 0.0005};
        const char *ln = notable[pick(won ? n_won : n_lost, 5)];
        int score = won ? 55 + (int)(unif() * 46) : (int)(unif() * 70);
        fprintf(f, "%08x-%04x-4%03x,%ld,%s,%s,%s,%s,%d,%d,%.2f,%s,%s,%s,%s,%s,%s,%s,%d,%d\n",
                (unsigned)(next_u64() & 0xffffffffu), (unsigned)(next_u64() & 0xffffu),
                (unsigned)(next_u64() & 0xfffu), number, date, origin[o], source[s],
                dne ? "Yes" : "No", visits, seconds, views, activity[a], country[co],
                occupation[oc], free_copy ? "Yes" : "No", tag, lq, ln, score, won);
    }
    return ferror(f) ? -1 : 0;
}

static int nosignal(FILE *f)
{
    static const char *const office[] = {"United States", "Germany", "United Kingdom", "France",
                                         "Brazil", "Mexico", "Panama", "Spain", "Canada",
                                         "India"};
    static const double office_w[] = {0.30, 0.12, 0.12, 0.08, 0.08, 0.07, 0.05, 0.06, 0.07,
                                      0.05};
    static const char *const industry[] = {"Software", "Manufacturing", "Retail", "Healthcare",
                                           "Financial Services", "Education"};
    static const double industry_w[] = {0.30, 0.20, 0.15, 0.15, 0.12, 0.08};
    static const char *const level[] = {"Manager", "Individual Contributor", "Director", "VP",
                                        "C-Level"};
    static const double level_w[] = {0.35, 0.30, 0.20, 0.10, 0.05};
    static const char *const source[] = {"Paid Search", "Organic Search", "Referral", "Event",
                                         "Partner"};
    static const double source_w[] = {0.35, 0.30, 0.15, 0.12, 0.08};
    fputs("lead_id,created_date,office_location,industry,job_level,employees,lead_source,won\n",
          f);
    state = 11;
    for (int i = 0; i < 1600; i++) {
        long day = DAY_2024_01_01 + (long)(i * 730L / 1600);
        char date[16];
        date_str(day, date, sizeof date);
        int employees = (int)floor(exp(3 + 3 * unif()));
        fprintf(f, "N%05d,%s,%s,%s,%s,%d,%s,%d\n", i + 1, date, office[pick(office_w, 10)],
                industry[pick(industry_w, 6)], level[pick(level_w, 5)], employees,
                source[pick(source_w, 5)], unif() < 0.22);
    }
    return ferror(f) ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "leaky") != 0 && strcmp(argv[1], "nosignal") != 0)) {
        fprintf(stderr, "usage: gen_trust leaky|nosignal OUT.csv\n");
        return 2;
    }
    FILE *f = fopen(argv[2], "w");
    if (!f) {
        perror(argv[2]);
        return 3;
    }
    int rc = strcmp(argv[1], "leaky") == 0 ? leaky(f) : nosignal(f);
    if (fclose(f) != 0 || rc != 0) {
        fprintf(stderr, "gen_trust: %s: write error\n", argv[2]);
        return 3;
    }
    return 0;
}
