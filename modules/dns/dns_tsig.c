/* TSIG key files in the three forms admins have at hand:
 *   [# ][hmac-]ALG:NAME:SECRET        (knsupdate -y; first line of keymgr -t)
 *   key: - id: NAME / algorithm: ALG / secret: SECRET   (Knot YAML)
 *   key "NAME" { algorithm ALG; secret "SECRET"; };      (BIND)
 * Messages never quote the secret. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dns.h"

/* The algorithms ldns's tsig.c can sign with, by their DNS names. */
static const struct {
	const char *name;	/* without "hmac-" */
	const char *ldns;
} algorithms[] = {
	{"md5", "hmac-md5.sig-alg.reg.int."},
	{"sha1", "hmac-sha1."},
	{"sha256", "hmac-sha256."},
	{"sha384", "hmac-sha384."},
	{"sha512", "hmac-sha512."},
};

static int set_algorithm(struct dns_tsig *k, const char *s, size_t n)
{
	if (n > 5 && strncasecmp(s, "hmac-", 5) == 0)
		s += 5, n -= 5;
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
		if (strlen(algorithms[i].name) == n &&
		    strncasecmp(algorithms[i].name, s, n) == 0) {
			strcpy(k->algorithm, algorithms[i].ldns);
			return 0;
		}
	return -1;
}

static int set_name(struct dns_tsig *k, const char *s, size_t n)
{
	ldns_rdf *d;

	if (n == 0 || n + 2 > sizeof(k->name))
		return -1;
	memcpy(k->name, s, n);
	k->name[n] = '\0';
	if (k->name[n - 1] != '.')
		strcat(k->name, ".");
	d = ldns_dname_new_frm_str(k->name);
	ldns_rdf_deep_free(d);
	return d ? 0 : -1;
}

static int set_secret(struct dns_tsig *k, const char *s, size_t n)
{
	size_t pad = 0;

	if (n == 0 || n % 4 || n >= sizeof(k->secret))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=' && i + 2 >= n)
			pad++;
		else if (pad || !(isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '/'))
			return -1;
	}
	memcpy(k->secret, s, n);
	k->secret[n] = '\0';
	return 0;
}

/* The three fields, each as a pointer and length into the file text. */
struct fields {
	const char *alg, *name, *secret;
	size_t alg_n, name_n, secret_n;
};

static int apply(const struct fields *f, struct dns_tsig *k, const char **why)
{
	if (!f->name || set_name(k, f->name, f->name_n) < 0)
		*why = "no valid key name";
	else if (!f->alg || set_algorithm(k, f->alg, f->alg_n) < 0)
		*why = "no algorithm of hmac-md5, hmac-sha1, hmac-sha256, "
		       "hmac-sha384, hmac-sha512";
	else if (!f->secret || set_secret(k, f->secret, f->secret_n) < 0)
		*why = "the secret is missing or not base64";
	else
		return 0;
	dns_tsig_wipe(k);
	return -EINVAL;
}

static size_t span(const char *s, const char *end, const char *stop)
{
	const char *p = s;

	while (p < end && !strchr(stop, *p))
		p++;
	return (size_t)(p - s);
}

static const char *skip_chars(const char *s, const char *end, const char *chars)
{
	while (s < end && strchr(chars, *s))
		s++;
	return s;
}

/* "[# ][hmac-]ALG:NAME:SECRET" on the first line. */
static int parse_line(const char *s, const char *end, struct fields *f)
{
	size_t line = span(s, end, "\n");

	end = s + line;
	s = skip_chars(s, end, "# \t");
	while (end > s && strchr(" \t\r", end[-1]))
		end--;
	f->alg = s;
	f->alg_n = span(s, end, ":");
	if (s + f->alg_n == end)
		return -1;
	f->name = s + f->alg_n + 1;
	f->name_n = span(f->name, end, ":");
	if (f->name + f->name_n == end)
		return -1;
	f->secret = f->name + f->name_n + 1;
	f->secret_n = (size_t)(end - f->secret);
	return 0;
}

/* Knot's "key:" section: the first item's id, algorithm and secret. */
static int parse_yaml(const char *s, const char *end, struct fields *f)
{
	int in_key = 0;

	while (s < end) {
		size_t n = span(s, end, "\n");
		const char *p = skip_chars(s, s + n, " \t-"), *e = s + n, *v;
		size_t kn = span(p, e, ":");

		if (p == s && n)	/* a top-level line starts a section */
			in_key = strncmp(s, "key:", 4) == 0;
		else if (in_key && p + kn < e) {
			v = skip_chars(p + kn + 1, e, " \t\"'");
			while (e > v && strchr(" \t\r\"'", e[-1]))
				e--;
			if (kn == 2 && strncmp(p, "id", 2) == 0 && !f->name)
				f->name = v, f->name_n = (size_t)(e - v);
			else if (kn == 9 && strncmp(p, "algorithm", 9) == 0 && !f->alg)
				f->alg = v, f->alg_n = (size_t)(e - v);
			else if (kn == 6 && strncmp(p, "secret", 6) == 0 && !f->secret)
				f->secret = v, f->secret_n = (size_t)(e - v);
		}
		s += n + (s + n < end);
	}
	return f->name || f->alg || f->secret ? 0 : -1;
}

/* BIND: key "NAME" { algorithm ALG; secret "SECRET"; }; */
static int parse_bind(const char *s, const char *end, struct fields *f)
{
	const char *p = s;

	while (p < end && (p = memchr(p, 'k', (size_t)(end - p))) &&
	       !(end - p > 4 && strncmp(p, "key", 3) == 0 && strchr(" \t\"", p[3])))
		p++;
	if (!p || p >= end)
		return -1;
	p = skip_chars(p + 3, end, " \t\"");
	f->name = p;
	f->name_n = span(p, end, "\" \t{");
	p = memchr(p, '{', (size_t)(end - p));
	while (p && p < end) {
		const char *w = skip_chars(p + 1, end, " \t\r\n;"), *v;
		size_t wn = span(w, end, " \t\r\n;}");

		if (w >= end || *w == '}')
			break;
		v = skip_chars(w + wn, end, " \t\r\n\"");
		if (wn == 9 && strncmp(w, "algorithm", 9) == 0)
			f->alg = v, f->alg_n = span(v, end, "\"; \t\r\n");
		else if (wn == 6 && strncmp(w, "secret", 6) == 0)
			f->secret = v, f->secret_n = span(v, end, "\"; \t\r\n");
		p = memchr(v, ';', (size_t)(end - v));
	}
	return 0;
}

int dns_tsig_parse(const char *text, size_t len, struct dns_tsig *k,
		   const char **why)
{
	const char *end = text + len, *s = skip_chars(text, end, " \t\r\n");
	struct fields f = {0};

	const char *line_why = NULL;
	int line;

	memset(k, 0, sizeof(*k));
	line = parse_line(s, end, &f) == 0;
	if (line && apply(&f, k, &line_why) == 0)
		return 0;
	memset(&f, 0, sizeof(f));
	if (parse_yaml(text, end, &f) == 0)
		return apply(&f, k, why);
	memset(&f, 0, sizeof(f));
	if (parse_bind(text, end, &f) == 0)
		return apply(&f, k, why);
	*why = line ? line_why
		    : "not a key: expected ALG:NAME:SECRET (keymgr -t), a Knot "
		      "'key:' section or a BIND 'key \"NAME\" { ... };' statement";
	return -EINVAL;
}

void dns_tsig_wipe(struct dns_tsig *k)
{
	explicit_bzero(k, sizeof(*k));
}
