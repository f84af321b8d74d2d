# WS_MODULES_INIT: start the lists that configure's summary prints.
AC_DEFUN([WS_MODULES_INIT], [ws_modules_enabled=; ws_modules_disabled=])

# WS_MODULE(NAME, DEPENDENCY-CHECK)
# Adds --with-module-NAME=yes|no (default: build it when its dependencies are
# there). DEPENDENCY-CHECK is shell code that sets ws_dep_missing to a
# description of what is missing, or leaves it empty. An explicit
# --with-module-NAME=yes with a missing dependency stops configure; otherwise
# the module is left out with a message and the rest builds.
AC_DEFUN([WS_MODULE], [
  AC_ARG_WITH([module-$1],
    AS_HELP_STRING([--with-module-$1=yes|no],
      [build the $1 module (default: when its dependencies are found)]),
    [], [with_module_$1=auto])
  ws_dep_missing=
  AS_CASE([$with_module_$1],
    [no], [],
    [yes|auto], [$2],
    [AC_MSG_ERROR([--with-module-$1 takes yes or no, not '$with_module_$1'])])
  AS_IF([test "x$with_module_$1" = xno],
      [ws_build_$1=no],
    [test -n "$ws_dep_missing" && test "x$with_module_$1" = xyes],
      [AC_MSG_ERROR([module $1 was requested but needs $ws_dep_missing])],
    [test -n "$ws_dep_missing"],
      [AC_MSG_WARN([module $1 disabled: $ws_dep_missing not found]); ws_build_$1=no],
    [ws_build_$1=yes])
  AS_IF([test "x$ws_build_$1" = xyes],
    [ws_modules_enabled="$ws_modules_enabled $1"],
    [ws_modules_disabled="$ws_modules_disabled $1"])
  AM_CONDITIONAL([MODULE_]m4_toupper([$1]), [test "x$ws_build_$1" = xyes])
])
