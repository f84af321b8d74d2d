#include "config.h"

#include <stdio.h>
#include <string.h>

#include <idn2.h>

#include "validate.h"

/* Inputs are quoted in messages up to this many bytes, then cut with "...":
 * enough to recognise the name, short enough that an address and its domain
 * both fit in struct err. */
#define SHOW_MAX 80

/* Non-ASCII domains longer than this are refused before idn2 sees them. A
 * code point kept by UTS 46 costs at least one byte of A-label and at most
 * four of UTF-8, so no longer NFC input can fit in 253 bytes. */
#define DOMAIN_IN_MAX (4 * VALIDATE_DOMAIN_MAX)

#define IDN2_FLAGS (IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL)

/* Bytes outside printable ASCII, the backslash and the quote are shown as
 * \xNN, so a hostile name can neither forge log lines nor send terminal
 * escapes, and the quoting stays unambiguous. */
static int needs_escape(unsigned char c)
{
	return c < 0x20 || c > 0x7e || c == '\\' || c == '\'';
}

/* The input as it may appear in a message; buf holds SHOW_MAX * 4 + 4. */
static const char *show(const char *in, char *buf)
{
	char *o = buf;
	size_t i;

	for (i = 0; in[i] && i < SHOW_MAX; i++) {
		unsigned char c = in[i];

		if (needs_escape(c))
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = c;
	}
	strcpy(o, in[i] ? "..." : "");
	return buf;
}

/* A character named in a message, quoted like the input. */
static const char *show_char(unsigned char c, char buf[8])
{
	snprintf(buf, 8, needs_escape(c) ? "'\\x%02x'" : "'%c'", c);
	return buf;
}

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* An "xn--" label is valid only if it decodes and encoding the result gives
 * it back: that refuses bad punycode, code points IDNA2008 disallows,
 * uppercase U-labels and any other non-canonical spelling. */
static int alabel_ok(const char *label, size_t len)
{
	char a[64];
	char *u = NULL, *back = NULL;
	int ok;

	memcpy(a, label, len);
	a[len] = '\0';
	ok = idn2_to_unicode_8z8z(a, &u, 0) == IDN2_OK &&
	     idn2_to_ascii_8z(u, &back, IDN2_FLAGS) == IDN2_OK &&
	     strcmp(a, back) == 0;
	idn2_free(u);
	idn2_free(back);
	return ok;
}

/* libidn2's own words, except for the limits, which it words in its terms
 * (255 bytes for a name) rather than ours. */
static const char *idn2_why(int rc)
{
	switch (rc) {
	case IDN2_TOO_BIG_DOMAIN:
		return "longer than 253 bytes as A-labels";
	case IDN2_TOO_BIG_LABEL:
	case IDN2_PUNYCODE_BIG_OUTPUT:
		return "a label is longer than 63 bytes as an A-label";
	default:
		return idn2_strerror(rc);
	}
}

/* The rules on the normalised (lowercase, A-label) name d, one label at a
 * time; messages quote the input in. */
static int check_labels(const char *d, const char *in, struct err *e)
{
	const char *label = d, *end;
	size_t n, nlabels = 0, i;
	int numeric;
	char s[SHOW_MAX * 4 + 4], cb[8];

	for (;;) {
		end = strchr(label, '.');
		n = end ? (size_t)(end - label) : strlen(label);
		nlabels++;
		if (end && !end[1])
			return err_set(e, EX_DATAERR, "domain '%s': ends with a "
				       "dot: write the name without it", show(in, s));
		if (n == 0)
			return err_set(e, EX_DATAERR, "domain '%s': has an empty "
				       "label", show(in, s));
		if (n > 63)
			return err_set(e, EX_DATAERR, "domain '%s': a label is "
				       "%zu bytes long, the limit is 63", show(in, s), n);
		numeric = 1;
		for (i = 0; i < n; i++) {
			if (!is_lower_alnum(label[i]) && label[i] != '-')
				return err_set(e, EX_DATAERR, "domain '%s': a "
					       "label may hold only a-z, 0-9 and "
					       "'-', not %s", show(in, s),
					       show_char(label[i], cb));
			if (label[i] < '0' || label[i] > '9')
				numeric = 0;
		}
		if (label[0] == '-' || label[n - 1] == '-')
			return err_set(e, EX_DATAERR, "domain '%s': a label may "
				       "not start or end with '-'", show(in, s));
		/* RFC 5891 4.2.3.1: "??--" is reserved for IDNA prefixes. */
		if (n >= 4 && label[2] == '-' && label[3] == '-') {
			if (strncmp(label, "xn", 2) != 0)
				return err_set(e, EX_DATAERR, "domain '%s': label "
					       "'%.*s': '--' in positions 3-4 is "
					       "reserved for 'xn--' A-labels", show(in, s),
					       (int)n, label);
			if (!alabel_ok(label, n))
				return err_set(e, EX_DATAERR, "domain '%s': label "
					       "'%.*s' is not a valid IDNA A-label",
					       show(in, s), (int)n, label);
		}
		if (!end)
			break;
		label = end + 1;
	}
	if (nlabels < 2)
		return err_set(e, EX_DATAERR, "domain '%s': needs at least two "
			       "labels, like example.com", show(in, s));
	/* RFC 3696 2: an all-numeric TLD would make it an IPv4 address. */
	if (numeric)
		return err_set(e, EX_DATAERR, "domain '%s': the last label may "
			       "not be all digits", show(in, s));
	/* Postfix must never see this host's own name as a virtual domain. */
	if (strcmp(label, "localhost") == 0)
		return err_set(e, EX_DATAERR, "domain '%s': localhost is this "
			       "host, not a mail domain", show(in, s));
	return 0;
}

int validate_domain(const char *in, char *out, size_t outsz, struct err *e)
{
	char d[VALIDATE_DOMAIN_MAX + 1], s[SHOW_MAX * 4 + 4], cb[8];
	size_t len = strlen(in), i;
	int ascii = 1, rc;
	char *a;

	if (outsz <= VALIDATE_DOMAIN_MAX)
		return err_set(e, EX_SOFTWARE, "domain buffer too small");
	if (len == 0)
		return err_set(e, EX_DATAERR, "domain '': is empty");
	/* The domain becomes a directory name. */
	if (strcmp(in, ".") == 0 || strcmp(in, "..") == 0)
		return err_set(e, EX_DATAERR, "domain '%s': is a directory "
			       "name, not a domain", show(in, s));
	if (in[0] == '[')
		return err_set(e, EX_DATAERR, "domain '%s': address literals "
			       "are not accepted, give a domain name", show(in, s));
	/* ASCII outside LDH and '.' is named here, before idn2 could pass it
	 * through or fail on it with a vaguer message. */
	for (i = 0; i < len; i++) {
		unsigned char c = in[i];

		if (c >= 0x80)
			ascii = 0;
		else if (!is_lower_alnum(ascii_lower(c)) && c != '-' && c != '.')
			return err_set(e, EX_DATAERR, "domain '%s': a label may "
				       "hold only a-z, 0-9 and '-', not %s", show(in, s),
				       show_char(c, cb));
	}
	if (len > (ascii ? VALIDATE_DOMAIN_MAX : DOMAIN_IN_MAX))
		return err_set(e, EX_DATAERR, "domain '%s': is %zu bytes long, "
			       "the limit is %d", show(in, s), len, VALIDATE_DOMAIN_MAX);
	if (ascii) {
		for (i = 0; i <= len; i++)
			d[i] = ascii_lower(in[i]);
	} else {
		/* UTS 46 mapping lowercases and NFC-normalises U-labels; like a
		 * browser it also maps full-width forms and drops invisible
		 * ones such as U+00AD. The result is checked like ASCII input. */
		rc = idn2_to_ascii_8z(in, &a, IDN2_FLAGS);
		if (rc == IDN2_OK && strlen(a) > VALIDATE_DOMAIN_MAX) {
			idn2_free(a);
			rc = IDN2_TOO_BIG_DOMAIN;
		}
		if (rc != IDN2_OK)
			return err_set(e, EX_DATAERR, "domain '%s': is not a valid "
				       "internationalised name: %s", show(in, s),
				       idn2_why(rc));
		len = strlen(a);
		memcpy(d, a, len + 1);
		idn2_free(a);
	}
	if (check_labels(d, in, e) < 0)
		return -1;
	memcpy(out, d, len + 1);
	return 0;
}

/* extra: characters allowed in the local part besides a-z 0-9 . _ - */
static int check_address(const char *in, char *out, size_t outsz,
			 size_t *local_len_r, const char *extra, struct err *e)
{
	char d[VALIDATE_DOMAIN_MAX + 1], s[SHOW_MAX * 4 + 4], cb[8];
	size_t n, dlen, i;

	if (outsz <= VALIDATE_ADDRESS_MAX)
		return err_set(e, EX_SOFTWARE, "address buffer too small");
	if (!*in)
		return err_set(e, EX_DATAERR, "address '': is empty");
	/* The local part reaches passwd-file fields, map keys and paths:
	 * only the characters Dovecot's auth_username_chars lets log in. */
	for (n = 0; in[n] && in[n] != '@'; n++) {
		char c = ascii_lower(in[n]);

		if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-' &&
		    !(c && strchr(extra, c)))
			return err_set(e, EX_DATAERR, "address '%s': the local "
				       "part may hold only a-z, 0-9, '.', '_'%s "
				       "'-'%s, not %s", show(in, s), *extra ? "," : " and",
				       *extra ? ", '+' and '='" : "",
				       show_char(in[n], cb));
	}
	if (!in[n])
		return err_set(e, EX_DATAERR, "address '%s': has no '@'", show(in, s));
	if (strchr(in + n + 1, '@'))
		return err_set(e, EX_DATAERR, "address '%s': has more than one "
			       "'@'", show(in, s));
	if (n == 0)
		return err_set(e, EX_DATAERR, "address '%s': the local part "
			       "before '@' is empty", show(in, s));
	if (n > VALIDATE_LOCAL_MAX)
		return err_set(e, EX_DATAERR, "address '%s': the local part is "
			       "%zu bytes long, the limit is %d", show(in, s), n,
			       VALIDATE_LOCAL_MAX);
	/* Leading '.' or '-' makes hidden files and options; '..' walks up. */
	if (!is_lower_alnum(ascii_lower(in[0])) ||
	    !is_lower_alnum(ascii_lower(in[n - 1])))
		return err_set(e, EX_DATAERR, "address '%s': the local part must "
			       "start and end with a letter or digit", show(in, s));
	for (i = 1; i < n; i++)
		if (in[i - 1] == '.' && in[i] == '.')
			return err_set(e, EX_DATAERR, "address '%s': the local "
				       "part may not contain '..'", show(in, s));
	if (validate_domain(in + n + 1, d, sizeof(d), e) < 0)
		return err_prefix(e, "address '%s'", show(in, s));
	dlen = strlen(d);
	if (n + 1 + dlen > VALIDATE_ADDRESS_MAX)
		return err_set(e, EX_DATAERR, "address '%s': is %zu bytes long, "
			       "the limit is %d", show(in, s), n + 1 + dlen,
			       VALIDATE_ADDRESS_MAX);
	for (i = 0; i < n; i++)
		out[i] = ascii_lower(in[i]);
	out[n] = '@';
	memcpy(out + n + 1, d, dlen + 1);
	if (local_len_r)
		*local_len_r = n;
	return 0;
}

int validate_address(const char *in, char *out, size_t outsz,
		     size_t *local_len_r, struct err *e)
{
	return check_address(in, out, outsz, local_len_r, "", e);
}

int validate_target(const char *in, char *out, size_t outsz, struct err *e)
{
	return check_address(in, out, outsz, NULL, "+=", e);
}

int validate_password(const char *pw, size_t len, size_t min_len,
		      size_t max_len, struct err *e)
{
	size_t limit = max_len < VALIDATE_PASSWORD_MAX ? max_len :
			VALIDATE_PASSWORD_MAX;

	if (len == 0)
		return err_set(e, EX_DATAERR, "the password is empty");
	if (len < min_len)
		return err_set(e, EX_DATAERR, "the password is shorter than %zu "
			       "bytes", min_len);
	/* Past the limit bcrypt ignores the rest; 1024 stops hashing DoS. */
	if (len > limit)
		return err_set(e, EX_DATAERR, "the password is longer than %zu "
			       "bytes", limit);
	/* Passwords are read and stored line by line. */
	if (memchr(pw, '\0', len) || memchr(pw, '\r', len) ||
	    memchr(pw, '\n', len))
		return err_set(e, EX_DATAERR, "the password contains a NUL, CR "
			       "or LF byte, which cannot be stored");
	return 0;
}
