/* libFuzzer target: the TXT records of modules/dns (add_txt splits the
 * text into strings of at most 255 bytes) for arbitrary owner names and
 * texts, e.g. a DKIM key or a selector. The strings must join back to the
 * text, and the record must render as zone-file text. Input: OWNER, a NUL,
 * TEXT. */
#include "../modules/dns/dns_records.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *owner = strndup((const char *)data, size);
	size_t olen = strlen(owner);
	char *text = olen < size ? strndup((const char *)data + olen + 1,
					   size - olen - 1) : strdup("");
	struct dns_state st = {.opt.ttl = 3600};
	struct dns_records rec = {.rrs = ldns_rr_list_new()};
	const char *err;

	if (add_txt(&st, &rec, owner, text, &err) == 0) {
		ldns_rr *rr = ldns_rr_list_rr(rec.rrs, 0);
		char *joined = dns_txt_text(rr), *shown = ldns_rr2str(rr),
		     *rdata = dns_rdata_str(rr);

		if (!joined || strcmp(joined, text) != 0 || !shown || !rdata)
			abort();
		free(joined);
		free(shown);
		free(rdata);
	}
	ldns_rr_list_deep_free(rec.rrs);
	free(owner);
	free(text);
	return 0;
}
