/* code_name.c: the column names that say a column holds codes (ZIP and postal codes, phone
 * numbers, industry codes), whose numbers are labels, not quantities (mql_code_name). */
#include <stdio.h>
#include <string.h>

#include "mqlcal/leakage.h"
#include "mqlcal/table.h"

/* A word naming a code on its own (trailing digits dropped: zip5, zip4): postal codes in
 * English, German (plz, postleitzahl), Portuguese (cep), French, Spanish, Italian (postal,
 * postale) and Dutch (postcode); phone numbers; industry and area codes (naics, sic, fips; the
 * EU's nace, Brazil's cnae, Italy's ateco). */
static const char *const code_words[] = {
    "zip", "zipcode", "postal", "postale", "postcode", "postleitzahl", "plz", "cep",
    "phone", "telephone", "telefon", "telefono", "telefone", "telefoon", "telefonnummer",
    "telefoonnummer", "tel", "mobile",
    "cellphone", "fax", "naics", "sic", "fips", "nace", "cnae", "ateco", NULL};
/* A word naming a code with "code" after it: post code, area code, industry code. */
static const char *const code_stems[] = {"post", "area", "industry", NULL};
/* Words that may follow the code's words: the code's own ("Phone Number", "Zip Code", "Postal
 * Code") or whose code it is ("Zip Code (Company)", "Phone (Work)"). Any other word after them
 * names something else: phone_calls, zip_count, mobile_visits. */
static const char *const after_words[] = {
    "code", "codes", "number", "numbers", "num", "no", "nr", "nbr", "numero", "nummer",
    "company", "account", "contact", "lead", "person", "billing", "mailing", "shipping",
    "business", "work", "home", "main", "primary", "other", "office", "direct", "personal",
    "cell", "us", NULL};

/* w without its trailing digits is a code word ("zip5" is "zip"). */
static int code_word(const char *w)
{
    char s[MQL_NAME_WORD];
    size_t n = strlen(w);
    while (n && w[n - 1] >= '0' && w[n - 1] <= '9')
        n--;
    snprintf(s, sizeof s, "%.*s", (int)n, w);
    return n && mql_name_word_in(s, code_words);
}

static int all_digits(const char *w)
{
    for (; *w; w++)
        if (*w < '0' || *w > '9')
            return 0;
    return 1;
}

int mql_code_name(const char *name, char *word, size_t cap)
{
    char folded[256], w[16][MQL_NAME_WORD];
    mql_name_fold_latin(name, folded, sizeof folded);   /* "Teléfono", "Código Postal" */
    size_t n = mql_name_words(folded, w, 16);
    const char *t = folded;
    while (*t == ' ')
        t++;
    /* "cap" (Italy's postal code) is also capital or a cap: the whole name only */
    if (n == 1 && !strcmp(w[0], "cap") && strlen(t) >= 3 && (t[3] == '\0' || t[3] == ' ')) {
        if (word && cap)
            snprintf(word, cap, "%s", w[0]);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        size_t end;
        if (code_word(w[i]))
            end = i + 1;
        else if (i + 1 < n && mql_name_word_in(w[i], code_stems) && !strcmp(w[i + 1], "code"))
            end = i + 2;
        else
            continue;
        for (size_t k = end; k < n; k++)
            if (!mql_name_word_in(w[k], after_words) && !code_word(w[k]) && !all_digits(w[k]))
                return 0;
        int two = end == i + 2;
        if (word && cap)
            snprintf(word, cap, "%s%s%s", w[i], two ? " " : "", two ? w[i + 1] : "");
        return 1;
    }
    return 0;
}
