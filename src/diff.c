#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

/* An admin compares --dry-run output with what `diff -u` shows, and often
 * several edit scripts are equally short; which one GNU diff prints is
 * decided by its own steps. So this follows GNU diffutils 3.8 step by step:
 * trimming the identical ends (io.c), discarding lines that cannot match
 * (analyze.c), Myers' O(ND) middle-snake search with diff's tie-breaks and
 * its cost cut-off (gnulib diffseq.h), sliding changes to join them
 * (analyze.c), and the unified hunks (context.c). Only what plain
 * `diff -u` uses is here: no options, no --speed-large-files, no binary
 * detection (our files are text). Time is O((N+M) D) and memory O(N+M). */

#define CONTEXT 3
/* diff makes its horizon at least the context. */
#define HORIZON CONTEXT

typedef ptrdiff_t lin;

struct change {			/* whole-file line numbers, from 0 */
	lin line0, line1;	/* first line deleted / inserted (or before which) */
	lin deleted, inserted;
};

struct side {
	const char *buf;
	size_t len;
	bool missing_nl;	/* the last line has no "\n" */
	lin nlines;
	size_t *start;		/* nlines + 1 line starts; the last is len + missing_nl */

	/* The middle: lines [prefix, prefix + nmid); the rest is identical. */
	lin nmid;
	lin *equiv;		/* equivalence class of each middle line */
	char *changed;		/* a flag per middle line, with a 0 on each side */
	lin *kept;		/* classes of the middle lines not discarded */
	lin *realindex;		/* and their middle line numbers */
	lin nkept;
};

struct diff {
	struct side s[2];
	lin prefix;		/* identical lines before the middle */
	lin nclasses;		/* classes are 1..nclasses - 1 */
	lin *diag_space;
	lin *fdiag, *bdiag;	/* indexed by diagonal, in diag_space */
	lin too_expensive;
	struct change *ch;
	size_t nch;
};

/* ---- lines ------------------------------------------------------------ */

/* The file as diff holds it: a "\n" appended when the last line lacks one. */
static unsigned char vbyte(const struct side *s, size_t i)
{
	return i < s->len ? (unsigned char)s->buf[i] : '\n';
}

static size_t vlen(const struct side *s)
{
	return s->len + s->missing_nl;
}

static const char *line_ptr(const struct side *s, lin i)
{
	return s->buf + s->start[i];
}

/* Bytes of line i, its "\n" included when it has one. */
static size_t line_len(const struct side *s, lin i)
{
	size_t end = s->start[i + 1] < s->len ? s->start[i + 1] : s->len;

	return end - s->start[i];
}

static int split_lines(struct side *s, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;
	lin n = 0;

	s->buf = buf;
	s->len = len;
	s->missing_nl = len > 0 && buf[len - 1] != '\n';
	for (; p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1)
		n++;
	s->nlines = n + s->missing_nl;
	s->start = malloc(((size_t)s->nlines + 1) * sizeof(*s->start));
	if (!s->start)
		return -1;
	s->start[0] = 0;
	for (lin i = 1, off = 0; i <= s->nlines; i++) {
		nl = memchr(buf + off, '\n', len - (size_t)off);
		off = nl ? nl - buf + 1 : (lin)len + 1;
		s->start[i] = (size_t)off;
	}
	return 0;
}

/* The line starting at byte off (or nlines for the end). */
static lin line_at(const struct side *s, size_t off)
{
	lin lo = 0, hi = s->nlines;

	while (lo < hi) {
		lin mid = lo + (hi - lo) / 2;

		if (s->start[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- identical ends (io.c find_identical_ends) ------------------------ */

/* End of the identical prefix, backed up to a line start and then by
 * HORIZON more lines. */
static size_t prefix_end(const struct side *a, const struct side *b)
{
	size_t n0 = vlen(a), n1 = vlen(b), lim = n0 < n1 ? n0 : n1, p = 0;
	lin hor = HORIZON;

	while (p < lim && vbyte(a, p) == vbyte(b, p))
		p++;
	/* The appended "\n" of one file does not match a real one. */
	if ((n0 - a->missing_nl < p) != (n1 - b->missing_nl < p))
		p--;
	while (p != 0 && (vbyte(a, p - 1) != '\n' || hor--))
		p--;
	return p;
}

/* Start of the identical suffix in each file, moved forward past HORIZON
 * lines (and past the rest of a line the match began inside of). */
static void suffix_begin(const struct side *a, const struct side *b,
			 size_t pre, size_t *p0_r, size_t *p1_r)
{
	size_t n0 = vlen(a), n1 = vlen(b), p0 = n0, p1 = n1;
	size_t beg0 = pre + (n0 < n1 ? 0 : n0 - n1);
	lin i;

	*p0_r = n0;
	*p1_r = n1;
	if (a->missing_nl != b->missing_nl)
		return;
	while (p0 != beg0) {
		if (vbyte(a, --p0) != vbyte(b, --p1)) {
			beg0 = ++p0;
			++p1;
			break;
		}
	}
	i = HORIZON + !((p0 == 0 || vbyte(a, p0 - 1) == '\n') &&
			(p1 == 0 || vbyte(b, p1 - 1) == '\n'));
	while (i-- && p0 != n0)
		while (vbyte(a, p0++) != '\n')
			;
	*p0_r = p0;
	*p1_r = p1 + (p0 - beg0);
}

static void find_middle(struct diff *d)
{
	size_t pre = prefix_end(&d->s[0], &d->s[1]), end0, end1;

	suffix_begin(&d->s[0], &d->s[1], pre, &end0, &end1);
	d->prefix = line_at(&d->s[0], pre);
	d->s[0].nmid = line_at(&d->s[0], end0) - d->prefix;
	d->s[1].nmid = line_at(&d->s[1], end1) - d->prefix;
}

/* ---- equivalence classes ---------------------------------------------- */

/* Middle lines with the same bytes get the same class. The last line
 * without "\n" differs from the same text with one, as in diff. */
static int classify(struct diff *d)
{
	lin total = d->s[0].nmid + d->s[1].nmid;
	size_t size = 16, mask, k;
	lin *slot, *rep_side, *rep_line;
	int ret = -1;

	while (size < 2 * (size_t)total)
		size *= 2;
	mask = size - 1;
	slot = calloc(size, sizeof(*slot));
	rep_side = malloc(((size_t)total + 1) * sizeof(*rep_side));
	rep_line = malloc(((size_t)total + 1) * sizeof(*rep_line));
	if (!slot || !rep_side || !rep_line)
		goto out;
	d->nclasses = 1;
	for (int f = 0; f < 2; f++) {
		struct side *s = &d->s[f];

		s->equiv = malloc(((size_t)s->nmid + 1) * sizeof(*s->equiv));
		if (!s->equiv)
			goto out;
		for (lin i = 0; i < s->nmid; i++) {
			const char *p = line_ptr(s, d->prefix + i);
			size_t len = line_len(s, d->prefix + i);
			uint64_t h = 14695981039346656037ULL;

			for (size_t j = 0; j < len; j++)
				h = (h ^ (unsigned char)p[j]) * 1099511628211ULL;
			for (k = (size_t)h & mask; slot[k]; k = (k + 1) & mask) {
				const struct side *o = &d->s[rep_side[slot[k]]];
				lin ol = d->prefix + rep_line[slot[k]];

				if (line_len(o, ol) == len &&
				    memcmp(line_ptr(o, ol), p, len) == 0)
					break;
			}
			if (!slot[k]) {
				slot[k] = d->nclasses++;
				rep_side[slot[k]] = f;
				rep_line[slot[k]] = i;
			}
			s->equiv[i] = slot[k];
		}
	}
	ret = 0;
out:
	free(slot);
	free(rep_side);
	free(rep_line);
	return ret;
}

/* ---- discarding (analyze.c discard_confusing_lines) ------------------- */

/* 1: matches no line of the other file; 2: matches very many of them. */
static void mark_discardable(const struct side *s, const lin *other_count,
			     char *discards)
{
	lin many = 5;

	/* MANY grows with the approximate square root of the line count. */
	for (lin tem = s->nmid >> 6; (tem = tem >> 2) > 0;)
		many *= 2;
	for (lin i = 0; i < s->nmid; i++) {
		lin nmatch = other_count[s->equiv[i]];

		if (nmatch == 0)
			discards[i] = 1;
		else if (nmatch > many)
			discards[i] = 2;
	}
}

/* Within the run [i, i + length), whose ends are not provisional, keeps
 * only provisionals well inside, in short subruns. */
static void trim_provisionals(char *discards, lin i, lin length)
{
	lin minimum = 1, consec = 0, j;

	/* MINIMUM is the approximate square root of LENGTH / 4. */
	for (lin tem = length >> 2; 0 < (tem >>= 2);)
		minimum <<= 1;
	minimum++;
	/* Cancel any subrun of MINIMUM or more provisionals. */
	for (j = 0; j < length; j++) {
		if (discards[i + j] != 2)
			consec = 0;
		else if (minimum == ++consec)
			j -= consec; /* back to the subrun's start to cancel it all */
		else if (minimum < consec)
			discards[i + j] = 0;
	}
	/* From each end, cancel provisionals until three nonprovisionals in
	 * a row, or a discard at least 8 lines in. */
	for (j = 0, consec = 0; j < length; j++) {
		if (j >= 8 && discards[i + j] == 1)
			break;
		if (discards[i + j] == 2)
			consec = 0, discards[i + j] = 0;
		else if (discards[i + j] == 0)
			consec = 0;
		else
			consec++;
		if (consec == 3)
			break;
	}
	i += length - 1;
	for (j = 0, consec = 0; j < length; j++) {
		if (j >= 8 && discards[i - j] == 1)
			break;
		if (discards[i - j] == 2)
			consec = 0, discards[i - j] = 0;
		else if (discards[i - j] == 0)
			consec = 0;
		else
			consec++;
		if (consec == 3)
			break;
	}
}

/* Provisional discards stand only inside a run of discards that begins
 * and ends with definite ones, and is not a quarter provisional. */
static void settle_provisionals(char *discards, lin end)
{
	for (lin i = 0; i < end; i++) {
		lin j, provisional = 0;

		if (discards[i] == 2) {
			discards[i] = 0;
			continue;
		}
		if (discards[i] == 0)
			continue;
		for (j = i; j < end && discards[j] != 0; j++)
			provisional += discards[j] == 2;
		while (j > i && discards[j - 1] == 2)
			discards[--j] = 0, --provisional;
		if (provisional * 4 > j - i) {
			while (j > i)
				if (discards[--j] == 2)
					discards[j] = 0;
		} else {
			trim_provisionals(discards, i, j - i);
			i = j - 1;
		}
	}
}

/* Lines that cannot be matched are changed from the start, and the search
 * only sees the others (kept, mapped back through realindex). */
static int discard_lines(struct diff *d)
{
	lin *count = calloc(2 * (size_t)d->nclasses, sizeof(*count));
	char *discards = calloc((size_t)(d->s[0].nmid + d->s[1].nmid) + 1, 1);
	char *dis[2];
	int ret = -1;

	if (!count || !discards)
		goto out;
	dis[0] = discards;
	dis[1] = discards + d->s[0].nmid;
	for (int f = 0; f < 2; f++)
		for (lin i = 0; i < d->s[f].nmid; i++)
			count[f * d->nclasses + d->s[f].equiv[i]]++;
	for (int f = 0; f < 2; f++)
		mark_discardable(&d->s[f], count + (1 - f) * d->nclasses, dis[f]);
	for (int f = 0; f < 2; f++) {
		struct side *s = &d->s[f];

		settle_provisionals(dis[f], s->nmid);
		s->kept = malloc(((size_t)s->nmid + 1) * sizeof(*s->kept));
		s->realindex = malloc(((size_t)s->nmid + 1) * sizeof(*s->realindex));
		if (!s->kept || !s->realindex)
			goto out;
		s->nkept = 0;
		for (lin i = 0; i < s->nmid; i++) {
			if (dis[f][i]) {
				s->changed[i] = 1;
				continue;
			}
			s->kept[s->nkept] = s->equiv[i];
			s->realindex[s->nkept++] = i;
		}
	}
	ret = 0;
out:
	free(count);
	free(discards);
	return ret;
}

/* ---- the search (gnulib diffseq.h diag, compareseq) ------------------- */

struct partition {
	lin xmid, ymid;
	bool lo_minimal, hi_minimal;
};

/* Given up: the forward or backward diagonal that got furthest. */
static void diag_give_up(const struct diff *d, lin xoff, lin xlim, lin yoff,
			 lin ylim, lin fmin, lin fmax, lin bmin, lin bmax,
			 struct partition *part)
{
	const lin *fd = d->fdiag, *bd = d->bdiag;
	lin fxybest = -1, fxbest = 0, bxybest = PTRDIFF_MAX, bxbest = 0;

	for (lin k = fmax; k >= fmin; k -= 2) {
		lin x = fd[k] < xlim ? fd[k] : xlim, y = x - k;

		if (ylim < y)
			x = ylim + k, y = ylim;
		if (fxybest < x + y)
			fxybest = x + y, fxbest = x;
	}
	for (lin k = bmax; k >= bmin; k -= 2) {
		lin x = bd[k] > xoff ? bd[k] : xoff, y = x - k;

		if (y < yoff)
			x = yoff + k, y = yoff;
		if (x + y < bxybest)
			bxybest = x + y, bxbest = x;
	}
	if ((xlim + ylim) - bxybest < fxybest - (xoff + yoff)) {
		part->xmid = fxbest;
		part->ymid = fxybest - fxbest;
		part->lo_minimal = true;
		part->hi_minimal = false;
	} else {
		part->xmid = bxbest;
		part->ymid = bxybest - bxbest;
		part->lo_minimal = false;
		part->hi_minimal = true;
	}
}

/* Finds the middle snake of the shortest edit script of x[xoff, xlim) and
 * y[yoff, ylim), whose first and last elements differ. */
static void diag(struct diff *d, lin xoff, lin xlim, lin yoff, lin ylim,
		 bool find_minimal, struct partition *part)
{
	lin *const fd = d->fdiag, *const bd = d->bdiag;
	const lin *xv = d->s[0].kept, *yv = d->s[1].kept;
	const lin dmin = xoff - ylim, dmax = xlim - yoff;
	const lin fmid = xoff - yoff, bmid = xlim - ylim;
	lin fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
	const bool odd = (fmid - bmid) & 1;

	fd[fmid] = xoff;
	bd[bmid] = xlim;
	for (lin c = 1;; ++c) {
		if (fmin > dmin)
			fd[--fmin - 1] = -1;
		else
			++fmin;
		if (fmax < dmax)
			fd[++fmax + 1] = -1;
		else
			--fmax;
		for (lin k = fmax; k >= fmin; k -= 2) {
			lin tlo = fd[k - 1], thi = fd[k + 1];
			lin x = tlo < thi ? thi : tlo + 1, y = x - k;

			while (x < xlim && y < ylim && xv[x] == yv[y])
				x++, y++;
			fd[k] = x;
			if (odd && bmin <= k && k <= bmax && bd[k] <= x) {
				part->xmid = x;
				part->ymid = y;
				part->lo_minimal = part->hi_minimal = true;
				return;
			}
		}
		if (bmin > dmin)
			bd[--bmin - 1] = PTRDIFF_MAX;
		else
			++bmin;
		if (bmax < dmax)
			bd[++bmax + 1] = PTRDIFF_MAX;
		else
			--bmax;
		for (lin k = bmax; k >= bmin; k -= 2) {
			lin tlo = bd[k - 1], thi = bd[k + 1];
			lin x = tlo < thi ? tlo : thi - 1, y = x - k;

			while (xoff < x && yoff < y && xv[x - 1] == yv[y - 1])
				x--, y--;
			bd[k] = x;
			if (!odd && fmin <= k && k <= fmax && x <= fd[k]) {
				part->xmid = x;
				part->ymid = y;
				part->lo_minimal = part->hi_minimal = true;
				return;
			}
		}
		if (!find_minimal && c >= d->too_expensive) {
			diag_give_up(d, xoff, xlim, yoff, ylim, fmin, fmax, bmin,
				     bmax, part);
			return;
		}
	}
}

static void compareseq(struct diff *d, lin xoff, lin xlim, lin yoff, lin ylim,
		       bool find_minimal)
{
	const lin *xv = d->s[0].kept, *yv = d->s[1].kept;
	struct partition part;

	while (xoff < xlim && yoff < ylim && xv[xoff] == yv[yoff])
		xoff++, yoff++;
	while (xoff < xlim && yoff < ylim && xv[xlim - 1] == yv[ylim - 1])
		xlim--, ylim--;
	if (xoff == xlim) {
		for (; yoff < ylim; yoff++)
			d->s[1].changed[d->s[1].realindex[yoff]] = 1;
	} else if (yoff == ylim) {
		for (; xoff < xlim; xoff++)
			d->s[0].changed[d->s[0].realindex[xoff]] = 1;
	} else {
		diag(d, xoff, xlim, yoff, ylim, find_minimal, &part);
		compareseq(d, xoff, part.xmid, yoff, part.ymid, part.lo_minimal);
		compareseq(d, part.xmid, xlim, part.ymid, ylim, part.hi_minimal);
	}
}

static int search(struct diff *d)
{
	lin n0 = d->s[0].nkept, n1 = d->s[1].nkept, diags = n0 + n1 + 3;

	d->diag_space = malloc(2 * (size_t)diags * sizeof(*d->diag_space));
	if (!d->diag_space)
		return -1;
	/* Diagonals run from -(n1 + 1) to n0 + 1. */
	d->fdiag = d->diag_space + n1 + 1;
	d->bdiag = d->fdiag + diags;
	/* About the square root of the input size, at least 4096. */
	d->too_expensive = 1;
	for (; diags != 0; diags >>= 2)
		d->too_expensive <<= 1;
	if (d->too_expensive < 4096)
		d->too_expensive = 4096;
	compareseq(d, 0, n0, 0, n1, false);
	return 0;
}

/* ---- sliding changes (analyze.c shift_boundaries) --------------------- */

/* Among identical lines, which one is the change is free: slide each run
 * of changes back to merge with earlier ones, then forward as far as it
 * goes, then back again to line up with a change in the other file. */
static void shift_boundaries(struct side *s, const struct side *o)
{
	char *changed = s->changed;
	const char *other_changed = o->changed;
	const lin *equivs = s->equiv;
	lin i = 0, j = 0, i_end = s->nmid;

	for (;;) {
		lin start, runlength, corresponding;

		while (i < i_end && !changed[i]) {
			while (other_changed[j++])
				;
			i++;
		}
		if (i == i_end)
			break;
		start = i;
		while (changed[++i])
			;
		while (other_changed[j])
			j++;
		do {
			runlength = i - start;
			while (start && equivs[start - 1] == equivs[i - 1]) {
				changed[--start] = 1;
				changed[--i] = 0;
				while (changed[start - 1])
					start--;
				while (other_changed[--j])
					;
			}
			corresponding = other_changed[j - 1] ? i : i_end;
			while (i != i_end && equivs[start] == equivs[i]) {
				changed[start++] = 0;
				changed[i++] = 1;
				while (changed[i])
					i++;
				while (other_changed[++j])
					corresponding = i;
			}
		} while (runlength != i - start);
		while (corresponding < i) {
			changed[--start] = 1;
			changed[--i] = 0;
			while (other_changed[--j])
				;
		}
	}
}

/* ---- the edit script and its output (context.c) ----------------------- */

static int build_script(struct diff *d)
{
	const char *c0 = d->s[0].changed, *c1 = d->s[1].changed;
	lin i0 = 0, i1 = 0, n0 = d->s[0].nmid, n1 = d->s[1].nmid;

	d->ch = malloc(((size_t)(n0 + n1) + 1) * sizeof(*d->ch));
	if (!d->ch)
		return -1;
	while (i0 < n0 || i1 < n1) {
		if (c0[i0] || c1[i1]) {
			struct change *c = &d->ch[d->nch++];

			c->line0 = d->prefix + i0;
			c->line1 = d->prefix + i1;
			while (c0[i0])
				i0++;
			while (c1[i1])
				i1++;
			c->deleted = d->prefix + i0 - c->line0;
			c->inserted = d->prefix + i1 - c->line1;
		}
		i0++, i1++;
	}
	return 0;
}

/* Lines a..b (from 0, inclusive) as "start,count"; an empty range names
 * the line before it, as patch expects. */
static void print_range(FILE *out, lin a, lin b)
{
	if (b < a)
		fprintf(out, "%td,0", b + 1);
	else if (b == a)
		fprintf(out, "%td", a + 1);
	else
		fprintf(out, "%td,%td", a + 1, b - a + 1);
}

static void print_line(FILE *out, char mark, const struct side *s, lin i)
{
	size_t len = line_len(s, i);

	putc(mark, out);
	fwrite(line_ptr(s, i), 1, len, out);
	if (line_ptr(s, i)[len - 1] != '\n')
		fputs("\n\\ No newline at end of file\n", out);
}

static void print_hunk(FILE *out, const struct diff *d, const struct change *c,
		       size_t n)
{
	const struct change *last = &c[n - 1];
	lin first0 = c->line0 - CONTEXT, first1 = c->line1 - CONTEXT;
	lin last0 = last->line0 + last->deleted - 1 + CONTEXT;
	lin last1 = last->line1 + last->inserted - 1 + CONTEXT;
	lin i, j;

	first0 = first0 > 0 ? first0 : 0;
	first1 = first1 > 0 ? first1 : 0;
	last0 = last0 < d->s[0].nlines ? last0 : d->s[0].nlines - 1;
	last1 = last1 < d->s[1].nlines ? last1 : d->s[1].nlines - 1;
	fputs("@@ -", out);
	print_range(out, first0, last0);
	fputs(" +", out);
	print_range(out, first1, last1);
	fputs(" @@\n", out);
	for (i = first0, j = first1; i <= last0 || j <= last1;) {
		if (c == last + 1 || i < c->line0) {
			print_line(out, ' ', &d->s[0], i++);
			j++;
			continue;
		}
		for (lin k = 0; k < c->deleted; k++)
			print_line(out, '-', &d->s[0], i++);
		for (lin k = 0; k < c->inserted; k++)
			print_line(out, '+', &d->s[1], j++);
		c++;
	}
}

/* Changes fewer than 2 * CONTEXT + 1 lines apart share a hunk. */
static void print_script(FILE *out, const struct diff *d)
{
	for (size_t h = 0, e; h < d->nch; h = e + 1) {
		for (e = h; e + 1 < d->nch; e++) {
			lin gap = d->ch[e + 1].line0 - (d->ch[e].line0 + d->ch[e].deleted);

			if (gap >= 2 * CONTEXT + 1)
				break;
		}
		print_hunk(out, d, &d->ch[h], e - h + 1);
	}
}

/* ---- entry ------------------------------------------------------------ */

static int alloc_changed(struct side *s)
{
	char *c = calloc((size_t)s->nmid + 2, 1);

	if (!c)
		return -1;
	s->changed = c + 1; /* changed[-1] and changed[nmid] stay 0 */
	return 0;
}

static void diff_free(struct diff *d)
{
	for (int f = 0; f < 2; f++) {
		free(d->s[f].start);
		free(d->s[f].equiv);
		free(d->s[f].changed ? d->s[f].changed - 1 : NULL);
		free(d->s[f].kept);
		free(d->s[f].realindex);
	}
	free(d->diag_space);
	free(d->ch);
}

static int analyse(struct diff *d, const char *old, size_t old_len,
		   const char *new, size_t new_len)
{
	if (split_lines(&d->s[0], old, old_len) < 0 ||
	    split_lines(&d->s[1], new, new_len) < 0)
		return -1;
	find_middle(d);
	if (classify(d) < 0 || alloc_changed(&d->s[0]) < 0 ||
	    alloc_changed(&d->s[1]) < 0 || discard_lines(d) < 0 ||
	    search(d) < 0)
		return -1;
	shift_boundaries(&d->s[0], &d->s[1]);
	shift_boundaries(&d->s[1], &d->s[0]);
	return build_script(d);
}

int diff_unified(FILE *out, const char *old_label, const char *old,
		 size_t old_len, const char *new_label, const char *new,
		 size_t new_len)
{
	struct diff d;
	int ret = -1;

	if (!old)
		old = "", old_len = 0;
	if (!new)
		new = "", new_len = 0;
	if (old_len == new_len && memcmp(old, new, old_len) == 0)
		return 0;
	memset(&d, 0, sizeof(d));
	if (analyse(&d, old, old_len, new, new_len) == 0) {
		fprintf(out, "--- %s\n+++ %s\n", old_label, new_label);
		print_script(out, &d);
		ret = 1;
	}
	diff_free(&d);
	return ret;
}
