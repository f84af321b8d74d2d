/* roles.h - what the core knows about each role: name, exclusivity, ops.
 *
 * The table is the single place that says which ops a role requires; the
 * loader validates modules against it and the config names roles with it. */
#ifndef WS_ROLES_H
#define WS_ROLES_H

#include <stddef.h>

#include <webstack/module.h>

struct role_op {
	const char *name;
	size_t offset;		/* of the function pointer in the ops struct */
	int required;
};

struct role_info {
	const char *name;	/* "mta", also the config option that picks it */
	int exclusive;		/* at most one module may fill it */
	size_t ops_size;	/* sizeof the ops struct in this core */
	const struct role_op *ops;
	size_t n_ops;
};

/* An optional op of loaded module m (struct module, loader.h) whose ops
 * are a struct type: NULL when unset or when the module's table, built
 * for an older ABI minor, ends before it. */
#define OPTIONAL_OP(m, type, field)                                          \
	(offsetof(struct type, field) + sizeof(((struct type *)0)->field) <= \
			 (m)->desc->role_ops_size                             \
		 ? ((const struct type *)(m)->desc->role_ops)->field          \
		 : NULL)

/* NULL for an unknown role value. */
const struct role_info *role_get(int role);
/* WEBSTACK_ROLE_NONE when unknown. */
enum webstack_role role_by_name(const char *name);

#endif
