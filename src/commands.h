/* commands.h - handlers of the commands in the table (commands.c). */
#ifndef WS_COMMANDS_H
#define WS_COMMANDS_H

#include "ctx.h"

int cmd_version(struct ctx *c, int argc, char **argv);
int cmd_modules(struct ctx *c, int argc, char **argv);
int cmd_check_config(struct ctx *c, int argc, char **argv);
int cmd_validate_domain(struct ctx *c, int argc, char **argv);
int cmd_validate_address(struct ctx *c, int argc, char **argv);
int cmd_pw(struct ctx *c, int argc, char **argv);

int cmd_mail_setup(struct ctx *c, int argc, char **argv);
int cmd_mail_migrate(struct ctx *c, int argc, char **argv);
int cmd_mail_status(struct ctx *c, int argc, char **argv);
int cmd_mail_check(struct ctx *c, int argc, char **argv);
int cmd_mail_add_domain(struct ctx *c, int argc, char **argv);
int cmd_mail_del_domain(struct ctx *c, int argc, char **argv);
int cmd_mail_add_account(struct ctx *c, int argc, char **argv);
int cmd_mail_import(struct ctx *c, int argc, char **argv);
int cmd_mail_del_account(struct ctx *c, int argc, char **argv);
int cmd_mail_passwd(struct ctx *c, int argc, char **argv);
int cmd_mail_add_alias(struct ctx *c, int argc, char **argv);
int cmd_mail_del_alias(struct ctx *c, int argc, char **argv);
int cmd_mail_list_domains(struct ctx *c, int argc, char **argv);
int cmd_mail_list_accounts(struct ctx *c, int argc, char **argv);
int cmd_mail_list_aliases(struct ctx *c, int argc, char **argv);
int cmd_mail_dkim_show(struct ctx *c, int argc, char **argv);
int cmd_mail_dkim_rotate(struct ctx *c, int argc, char **argv);
int cmd_mail_dkim_retire(struct ctx *c, int argc, char **argv);
int cmd_mail_firewall_open(struct ctx *c, int argc, char **argv);
int cmd_mail_firewall_close(struct ctx *c, int argc, char **argv);
int cmd_mail_firewall_status(struct ctx *c, int argc, char **argv);
int cmd_mail_dns_show(struct ctx *c, int argc, char **argv);
int cmd_mail_dns_check(struct ctx *c, int argc, char **argv);
int cmd_mail_dns_push(struct ctx *c, int argc, char **argv);

#endif
