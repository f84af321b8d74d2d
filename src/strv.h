/* strv.h - a growable NULL-terminated array of owned strings. */
#ifndef WS_STRV_H
#define WS_STRV_H

#include <stddef.h>

struct strv {
	char **v;	/* NULL-terminated once anything was added */
	size_t n;
	size_t cap;
};

/* Appends a copy of s. */
void strv_add(struct strv *sv, const char *s);
/* Appends s itself; the strv takes ownership. */
void strv_take(struct strv *sv, char *s);
int strv_contains(const struct strv *sv, const char *s);
/* Sorts by strcmp(). */
void strv_sort(struct strv *sv);
void strv_free(struct strv *sv);

#endif
