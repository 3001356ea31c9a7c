/* test_fs.c: the file utilities (fs.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"

static char dir[] = "/tmp/gn_test_fs_XXXXXX";

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(fs, .init = setup, .fini = teardown);

static char *at(const char *rel)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, rel);
    return buf[k];
}

Test(fs, mkdir_p_creates_parents_and_accepts_an_existing_folder)
{
    cr_assert_eq(gn_fs_mkdir_p(at("a/b/c")), 0);
    cr_expect(gn_fs_exists(at("a/b/c")));
    cr_expect_eq(gn_fs_mkdir_p(at("a/b/c")), 0, "an existing folder is fine");
    cr_expect_eq(gn_fs_mkdir_p(at("a/b/c/")), 0, "a trailing slash too");
}

Test(fs, mkdir_p_refuses_a_file_in_the_way)
{
    char err[256];
    cr_assert_eq(gn_fs_write_atomic(at("f"), "x", 1, NULL, err, sizeof err), 0, "%s", err);
    cr_expect_eq(gn_fs_mkdir_p(at("f")), -1);
    cr_expect_eq(errno, ENOTDIR);
    cr_expect_eq(gn_fs_mkdir_p(at("f/sub")), -1);
}

Test(fs, write_atomic_replaces_the_file_and_leaves_no_temporary)
{
    char err[256], *text;
    size_t n;
    cr_assert_eq(gn_fs_write_atomic(at("t.csv"), "old\n", 4, "tag", err, sizeof err), 0);
    cr_assert_eq(gn_fs_write_atomic(at("t.csv"), "new text\n", 9, "tag", err, sizeof err), 0);
    cr_assert_eq(gn_fs_read_whole(at("t.csv"), 0, &text, &n, err, sizeof err), 0, "%s", err);
    cr_expect_eq(n, 9);
    cr_expect_str_eq(text, "new text\n");
    free(text);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp.tag.%ld", at("t.csv"), (long)getpid());
    cr_expect(!gn_fs_exists(tmp));
}

Test(fs, write_atomic_into_a_missing_folder_fails_and_names_the_file)
{
    char err[256] = "";
    cr_expect_eq(gn_fs_write_atomic(at("no/such/x"), "x", 1, NULL, err, sizeof err), -1);
    cr_expect(strstr(err, "no/such/x") && strstr(err, "cannot write"), "%s", err);
}

Test(fs, copy_atomic_copies_bytes_exactly)
{
    char err[256], *text;
    size_t n;
    static const char data[] = "a\0b\nc";
    cr_assert_eq(gn_fs_write_atomic(at("src"), data, sizeof data, NULL, err, sizeof err), 0);
    cr_assert_eq(gn_fs_copy_atomic(at("src"), at("dst"), "merge", err, sizeof err), 0, "%s", err);
    cr_assert_eq(gn_fs_read_whole(at("dst"), 0, &text, &n, err, sizeof err), 0);
    cr_expect_eq(n, sizeof data);
    cr_expect_eq(memcmp(text, data, n), 0);
    free(text);
    cr_expect_eq(gn_fs_copy_atomic(at("missing"), at("dst2"), NULL, err, sizeof err), -1);
    cr_expect(!gn_fs_exists(at("dst2")));
}

Test(fs, read_whole_bounds_the_size_and_names_the_file)
{
    char err[256], *text = NULL;
    size_t n;
    char big[5000];
    memset(big, 'x', sizeof big);
    cr_assert_eq(gn_fs_write_atomic(at("big"), big, sizeof big, NULL, err, sizeof err), 0);
    cr_expect_eq(gn_fs_read_whole(at("big"), 4096, &text, &n, err, sizeof err), -1);
    cr_expect(strstr(err, "too large"), "%s", err);
    cr_expect_null(text);
    cr_expect_eq(gn_fs_read_whole(at("none"), 0, &text, &n, err, sizeof err), -1);
    cr_expect(strstr(err, "none: cannot open"), "%s", err);
}
