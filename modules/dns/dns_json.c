/* JSON string literals for render(format "json"): modules get no JSON
 * writer from the core. */
#include "config.h"

#include "dns.h"

void dns_json_str(struct mbuf *b, const char *s)
{
	mbuf_puts(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			mbuf_printf(b, "\\%c", c);
		else if (c == '\n')
			mbuf_puts(b, "\\n");
		else if (c < 0x20)
			mbuf_printf(b, "\\u%04x", c);
		else
			mbuf_add(b, s, 1);
	}
	mbuf_puts(b, "\"");
}
