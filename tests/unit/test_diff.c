#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "diff.h"

#define GNU_DIFF "/usr/bin/diff"

struct text {
	char *data;
	size_t len;
};

/* diff_unified()'s output and return value. */
static struct text ours(const char *old_label, const char *old, size_t old_len,
			const char *new_label, const char *new, size_t new_len,
			int *ret)
{
	struct text t = { NULL, 0 };
	FILE *f = open_memstream(&t.data, &t.len);

	assert_non_null(f);
	*ret = diff_unified(f, old_label, old, old_len, new_label, new, new_len);
	assert_int_equal(fclose(f), 0);
	return t;
}

static void expect(const char *old, const char *new, const char *want)
{
	int ret;
	struct text t = ours("OLD", old, old ? strlen(old) : 0, "NEW", new,
			     new ? strlen(new) : 0, &ret);

	assert_int_equal(ret, want[0] ? 1 : 0);
	assert_string_equal(t.data, want);
	free(t.data);
}

static size_t count_hunks(const char *s)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, "\n@@ ")); p++)
		n++;
	return n;
}

/* ---- GNU diff as the reference ------------------------------------------ */

static char tmpdir[] = "/tmp/test_diff.XXXXXX";

static int setup_dir(void **state)
{
	(void)state;
	if (access(GNU_DIFF, X_OK) != 0) {
		print_error("%s not found: diffutils is needed\n", GNU_DIFF);
		return -1;
	}
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char path[64];

	(void)state;
	snprintf(path, sizeof(path), "%s/a", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/b", tmpdir);
	unlink(path);
	return rmdir(tmpdir);
}

static void write_file(const char *name, const char *data, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* `diff -u --label a --label b a b` in tmpdir, in the C locale. */
static struct text gnu(const char *old, size_t old_len, const char *new,
		       size_t new_len, int *status)
{
	const char *argv[] = { GNU_DIFF, "-u", "--label", "a", "--label", "b",
			       "a", "b", NULL };
	char *const envp[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", NULL };
	struct text t = { NULL, 0 };
	FILE *f = open_memstream(&t.data, &t.len);
	char chunk[65536];
	int fds[2], st;
	ssize_t n;
	pid_t pid;

	assert_non_null(f);
	write_file("a", old, old_len);
	write_file("b", new, new_len);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (chdir(tmpdir) != 0 || dup2(fds[1], 1) < 0)
			_exit(126);
		execve(GNU_DIFF, (char *const *)argv, envp);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
		assert_int_equal(fwrite(chunk, 1, (size_t)n, f), (size_t)n);
	close(fds[0]);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	*status = WEXITSTATUS(st);
	return t;
}

static void print_escaped(const char *what, const char *s, size_t len)
{
	print_error("%s (%zu bytes):\n", what, len);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			print_error("\\n\n");
		else
			print_error("%c", s[i]);
	}
	print_error("\n");
}

/* Byte for byte what GNU diff prints; old/new NULL are empty files. */
static void compare_with_gnu(const char *old, size_t old_len, const char *new,
			     size_t new_len)
{
	int ret, status;
	struct text mine = ours("a", old, old_len, "b", new, new_len, &ret);
	struct text ref = gnu(old ? old : "", old_len, new ? new : "", new_len, &status);

	if (status > 1 || ret != status || mine.len != ref.len ||
	    memcmp(mine.data, ref.data, ref.len) != 0) {
		print_escaped("old", old ? old : "", old_len);
		print_escaped("new", new ? new : "", new_len);
		print_escaped("GNU diff", ref.data, ref.len);
		print_escaped("diff_unified", mine.data, mine.len);
		fail_msg("diff_unified returned %d, diff exited %d", ret, status);
	}
	free(mine.data);
	free(ref.data);
}

/* ---- random files ------------------------------------------------------- */

static const char *const words[] = {
	"a", "b", "c", "d", "e", "", "  indented", "a longer line", "b",
	"x = 1;", "}", "{",
};

struct gen {
	FILE *f;
	char *data;
	size_t len;
};

static void gen_start(struct gen *g)
{
	g->f = open_memstream(&g->data, &g->len);
	assert_non_null(g->f);
}

static void gen_end(struct gen *g, int trailing_newline)
{
	assert_int_equal(fclose(g->f), 0);
	if (!trailing_newline && g->len > 0 && g->data[g->len - 1] == '\n')
		g->data[--g->len] = '\0';
}

/* Percentages of random lines that are unique (they match nothing, so
 * diff discards them) or the same "}" (which matches so many lines that
 * diff may discard it provisionally). */
static unsigned unique_share, hot_share;

/* A line from the first `alphabet` words, or a numbered one when the
 * alphabet is larger than the word list. */
static void random_line(FILE *f, unsigned alphabet)
{
	static unsigned unique;
	unsigned w = (unsigned)rand() % alphabet, r = (unsigned)rand() % 100;
	size_t nwords = sizeof(words) / sizeof(words[0]);

	if (r < unique_share)
		fprintf(f, "unique %u\n", unique++);
	else if (r < unique_share + hot_share)
		fputs("}\n", f);
	else if (w < nwords)
		fprintf(f, "%s\n", words[w]);
	else
		fprintf(f, "line %u\n", w);
}

static void random_file(struct gen *g, unsigned nlines, unsigned alphabet)
{
	gen_start(g);
	for (unsigned i = 0; i < nlines; i++)
		random_line(g->f, alphabet);
	gen_end(g, rand() % 5 != 0);
}

/* Copies the lines of old with a few random edits. */
static void mutate(struct gen *g, const char *old, size_t old_len,
		   unsigned alphabet, unsigned edits_per_100)
{
	const char *p = old, *end = old + old_len;

	gen_start(g);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		unsigned r = (unsigned)rand() % 100;

		if (r < edits_per_100) {
			switch (rand() % 4) {
			case 0: /* delete */
				break;
			case 1: /* replace */
				random_line(g->f, alphabet);
				break;
			case 2: /* insert before */
				random_line(g->f, alphabet);
				fwrite(p, 1, n, g->f);
				break;
			default: /* duplicate */
				fwrite(p, 1, n, g->f);
				fwrite(p, 1, n, g->f);
				break;
			}
		} else {
			fwrite(p, 1, n, g->f);
		}
		if (!nl)
			fputc('\n', g->f);
		p += n;
	}
	if ((unsigned)rand() % 100 < edits_per_100)
		random_line(g->f, alphabet);
	/* Usually keep the old file's ending, sometimes flip it. */
	gen_end(g, (old_len == 0 || old[old_len - 1] == '\n') != (rand() % 6 == 0));
}

/* One random pair: unrelated, or the second an edit of the first. */
static void random_pair(unsigned max_lines, unsigned alphabet, unsigned edits)
{
	struct gen a, b;
	int old_absent = rand() % 30 == 0, new_absent = rand() % 30 == 0;

	random_file(&a, (unsigned)rand() % (max_lines + 1), alphabet);
	if (rand() % 4 == 0)
		random_file(&b, (unsigned)rand() % (max_lines + 1), alphabet);
	else
		mutate(&b, a.data, a.len, alphabet, edits);
	compare_with_gnu(old_absent ? NULL : a.data, old_absent ? 0 : a.len,
			 new_absent ? NULL : b.data, new_absent ? 0 : b.len);
	free(a.data);
	free(b.data);
}

static unsigned seed(void)
{
	const char *s = getenv("TEST_DIFF_SEED");
	unsigned v = s ? (unsigned)strtoul(s, NULL, 10) : 20240601;

	/* Fixed unless TEST_DIFF_SEED asks for other files to be tried. */
	print_message("# TEST_DIFF_SEED=%u\n", v);
	return v;
}

/* ---- fixed cases -------------------------------------------------------- */

static void test_equal(void **state)
{
	(void)state;
	expect("a\nb\n", "a\nb\n", "");
	expect("", "", "");
	expect(NULL, "", "");
	expect(NULL, NULL, "");
	expect("no newline", "no newline", "");
}

static void test_absent_and_empty(void **state)
{
	int ret;
	struct text t;

	(void)state;
	expect(NULL, "a\nb\n", "--- OLD\n+++ NEW\n@@ -0,0 +1,2 @@\n+a\n+b\n");
	expect("", "a\n", "--- OLD\n+++ NEW\n@@ -0,0 +1 @@\n+a\n");
	expect("a\nb\n", NULL, "--- OLD\n+++ NEW\n@@ -1,2 +0,0 @@\n-a\n-b\n");
	/* The labels are printed as given. */
	t = ours("/dev/null", NULL, 0, "/etc/x", "x\n", 2, &ret);
	assert_int_equal(ret, 1);
	assert_string_equal(t.data, "--- /dev/null\n+++ /etc/x\n@@ -0,0 +1 @@\n+x\n");
	free(t.data);
}

static void test_no_newline(void **state)
{
	(void)state;
	expect("a", "b",
	       "--- OLD\n+++ NEW\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n"
	       "+b\n\\ No newline at end of file\n");
	expect("a\n", "a",
	       "--- OLD\n+++ NEW\n@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file\n");
	expect("a", "a\n",
	       "--- OLD\n+++ NEW\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n");
	expect("x\na", "y\na",
	       "--- OLD\n+++ NEW\n@@ -1,2 +1,2 @@\n-x\n+y\n a\n\\ No newline at end of file\n");
	expect(NULL, "a", "--- OLD\n+++ NEW\n@@ -0,0 +1 @@\n+a\n\\ No newline at end of file\n");
}

static void test_context(void **state)
{
	(void)state;
	expect("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nV\n6\n7\n8\n9\n",
	       "--- OLD\n+++ NEW\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+V\n 6\n 7\n 8\n");
	expect("1\n2\n3\n4\n5\n", "0\n1\n2\n3\n4\n5\n",
	       "--- OLD\n+++ NEW\n@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n");
	expect("1\n2\n3\n4\n5\n", "1\n2\n3\n4\n",
	       "--- OLD\n+++ NEW\n@@ -2,4 +2,3 @@\n 2\n 3\n 4\n-5\n");
}

/* Changes up to 6 unchanged lines apart share a hunk; 7 apart do not. */
static void test_hunk_split(void **state)
{
	char old[256] = "", near[256] = "", far[256] = "";
	int ret;
	struct text t;

	(void)state;
	for (int i = 1; i <= 20; i++) {
		char line[16];

		snprintf(line, sizeof(line), "%d\n", i);
		strcat(old, line);
		strcat(near, i == 5 || i == 12 ? "X\n" : line);
		strcat(far, i == 5 || i == 13 ? "X\n" : line);
	}
	t = ours("a", old, strlen(old), "b", near, strlen(near), &ret);
	assert_int_equal(count_hunks(t.data), 1);
	assert_non_null(strstr(t.data, "@@ -2,14 +2,14 @@\n"));
	free(t.data);
	t = ours("a", old, strlen(old), "b", far, strlen(far), &ret);
	assert_int_equal(count_hunks(t.data), 2);
	assert_non_null(strstr(t.data, "@@ -2,7 +2,7 @@\n"));
	assert_non_null(strstr(t.data, "@@ -10,7 +10,7 @@\n"));
	free(t.data);
}

/* Cases where the shortest edit is not unique; GNU diff's pick is the
 * expected one. */
static void test_ties(void **state)
{
	(void)state;
	expect("a\nb\na\n", "a\n", "--- OLD\n+++ NEW\n@@ -1,3 +1 @@\n a\n-b\n-a\n");
	expect("x\na\na\ny\n", "x\na\ny\n", "--- OLD\n+++ NEW\n@@ -1,4 +1,3 @@\n x\n a\n-a\n y\n");
}

static void test_fixed_against_gnu(void **state)
{
	static const char *const cases[][2] = {
		{ "a\nb\nc\n", "c\nb\na\n" },
		{ "a\na\na\na\n", "a\na\n" },
		{ "a\nb\na\nb\na\nb\n", "b\na\nb\na\n" },
		{ "", "\n" },
		{ "\n", "" },
		{ "\n\n\n", "\n\n" },
		{ "a\nb", "a\nb\nc" },
		{ "a\nb\n", "a\nb" },
		{ "x", "x\ny" },
		{ "1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\n5\n6\n7\n8" },
		{ "} \n}\n}\n{\n", "}\n{\n}\n}\n" },
		{ "a\r\nb\n", "a\nb\n" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		compare_with_gnu(cases[i][0], strlen(cases[i][0]), cases[i][1],
				 strlen(cases[i][1]));
}

/* ---- random comparison -------------------------------------------------- */

static void test_random_small(void **state)
{
	(void)state;
	srand(seed());
	for (int i = 0; i < 300; i++)
		random_pair(20, 2 + (unsigned)i % 6, 10 + (unsigned)i % 30);
}

/* Runs of unmatchable lines with very common ones among them: GNU's
 * rules for which of those are discarded too. */
static void test_random_discards(void **state)
{
	(void)state;
	srand(seed());
	for (int i = 0; i < 300; i++) {
		unique_share = 10 + (unsigned)i % 50;
		hot_share = 10 + (unsigned)i % 37;
		random_pair(i % 10 ? 60 : 600, 2 + (unsigned)i % 5, 20 + (unsigned)i % 60);
	}
	unique_share = hot_share = 0;
}

/* Larger files make GNU's discarding thresholds grow. */
static void test_random_medium(void **state)
{
	(void)state;
	srand(seed());
	for (int i = 0; i < 30; i++)
		random_pair(1500, 3 + (unsigned)i * 3, 2 + (unsigned)i % 20);
}

/* Enough differences that diff gives up on a minimal script (its
 * TOO_EXPENSIVE cut-off) and both must give up the same way. */
static void test_random_expensive(void **state)
{
	struct gen a, b;

	(void)state;
	srand(seed());
	for (unsigned i = 0; i < 4; i++) {
		random_file(&a, 20000 + 10000 * i, 10 + 10 * i);
		mutate(&b, a.data, a.len, 10 + 10 * i, 40 + 10 * i);
		compare_with_gnu(a.data, a.len, b.data, b.len);
		free(a.data);
		free(b.data);
	}
}

/* ---- large files -------------------------------------------------------- */

#define BIG 100000

static struct text numbered(long changed_line)
{
	struct text t = { NULL, 0 };
	FILE *f = open_memstream(&t.data, &t.len);

	assert_non_null(f);
	for (long i = 1; i <= BIG; i++)
		fprintf(f, i == changed_line ? "changed %ld\n" : "line %ld\n", i);
	assert_int_equal(fclose(f), 0);
	return t;
}

static void test_big_one_line(void **state)
{
	struct text a = numbered(0), b = numbered(50001), t;
	struct timespec t0, t1;
	int ret;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	t = ours("a", a.data, a.len, "b", b.data, b.len, &ret);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("# 100000 lines, one changed: %.1f ms\n",
		      (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		      (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	assert_int_equal(ret, 1);
	assert_string_equal(t.data,
			    "--- a\n+++ b\n@@ -49998,7 +49998,7 @@\n"
			    " line 49998\n line 49999\n line 50000\n"
			    "-line 50001\n+changed 50001\n"
			    " line 50002\n line 50003\n line 50004\n");
	assert_int_equal(count_hunks(t.data), 1);
	free(t.data);
	compare_with_gnu(a.data, a.len, b.data, b.len);
	free(a.data);
	free(b.data);
}

static void test_big_scattered(void **state)
{
	struct text a = numbered(0);
	struct gen b;

	(void)state;
	srand(seed());
	mutate(&b, a.data, a.len, 50, 1);
	compare_with_gnu(a.data, a.len, b.data, b.len);
	free(b.data);
	/* Everything different: nothing can match, all is discarded. */
	random_file(&b, BIG, 100);
	compare_with_gnu(a.data, a.len, b.data, b.len);
	free(b.data);
	free(a.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_absent_and_empty),
		cmocka_unit_test(test_no_newline),
		cmocka_unit_test(test_context),
		cmocka_unit_test(test_hunk_split),
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_fixed_against_gnu),
		cmocka_unit_test(test_random_small),
		cmocka_unit_test(test_random_discards),
		cmocka_unit_test(test_random_medium),
		cmocka_unit_test(test_random_expensive),
		cmocka_unit_test(test_big_one_line),
		cmocka_unit_test(test_big_scattered),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
