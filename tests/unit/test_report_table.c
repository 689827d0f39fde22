/* test_report_table.c: the text table's columns line up in a terminal when names and values hold
 * wide characters, emoji, combining marks or bytes that are not UTF-8. */
#include "testutil.h"

#include <string.h>

#include "mqlcal/report_table.h"

/* The table written in text (markdown = 0) or Markdown form into buf. */
static void write_tab(const mql_tab *t, mql_format fmt, char *buf, size_t size)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(mql_tab_write(t, f, fmt), 0);
    rewind(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* A two-column table: name (text) and n (number), one row per value. */
static mql_tab *two_columns(const char *head, const char *const *values, size_t n)
{
    const char *names[] = {head, "n"};
    mql_tab *t = mql_tab_new(2, names);
    assert_non_null(t);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(mql_tab_row(t), 0);
        assert_int_equal(mql_tab_add_str(t, values[i]), 0);
        assert_int_equal(mql_tab_add_int(t, (long long)i + 1), 0);
    }
    return t;
}

/* The widths as a terminal draws them: "地域" and "🚀" take two columns each, so the rule under
 * a header of display width 6 has six dashes and narrower values are padded to it. Counting
 * code points (the old rule) gave four dashes, and every row after a CJK or emoji name shifted
 * its later columns left by one column per such character. */
static void test_wide_characters(void **state)
{
    (void)state;
    const char *values[] = {"東京", "web 🚀", "NY"};
    mql_tab *t = two_columns("地域 ab", values, 3);
    char out[1024];
    write_tab(t, MQL_FMT_TABLE, out, sizeof out);
    assert_string_equal(out,
                        "地域 ab  n\n"
                        "-------  -\n"
                        "東京     1\n"
                        "web 🚀   2\n"
                        "NY       3\n");
    write_tab(t, MQL_FMT_MD, out, sizeof out);
    assert_string_equal(out,
                        "| 地域 ab | n |\n"
                        "|---------|---|\n"
                        "| 東京    | 1 |\n"
                        "| web 🚀  | 2 |\n"
                        "| NY      | 3 |\n");
    mql_tab_free(t);
}

/* Zero-width code points take no column: a combining accent ("e" + U+0301), a variation selector
 * after a symbol, a skin-tone modifier, and the pictures a zero-width joiner adds to a family
 * emoji (drawn as one picture, two columns). */
static void test_zero_width(void **state)
{
    (void)state;
    const char *values[] = {"re\xcc\x81sume\xcc\x81", "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd ok",
                            "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d"
                            "\xf0\x9f\x91\xa7 fam",
                            "abcdef"};
    mql_tab *t = two_columns("x", values, 4);
    char out[1024];
    write_tab(t, MQL_FMT_TABLE, out, sizeof out);
    assert_string_equal(out,
                        "x       n\n"
                        "------  -\n"
                        "re\xcc\x81sume\xcc\x81  1\n"
                        "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd ok   2\n"
                        "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d"
                        "\xf0\x9f\x91\xa7 fam  3\n"
                        "abcdef  4\n");
    mql_tab_free(t);
}

/* A byte that is not UTF-8 (a Latin-1 "é" in a Windows export, a stray continuation byte) is
 * drawn as one replacement character: one column each, and the bytes after it are read as usual
 * (the old rule counted no column for the stray continuation byte 0x80). */
static void test_invalid_utf8(void **state)
{
    (void)state;
    const char *values[] = {"caf\xe9s", "abcde", "\x80" "abcd"};
    mql_tab *t = two_columns("v", values, 3);
    char out[1024];
    write_tab(t, MQL_FMT_TABLE, out, sizeof out);
    assert_string_equal(out,
                        "v      n\n"
                        "-----  -\n"
                        "caf\xe9s  1\n"
                        "abcde  2\n"
                        "\x80" "abcd  3\n");
    mql_tab_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wide_characters),
        cmocka_unit_test(test_zero_width),
        cmocka_unit_test(test_invalid_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
