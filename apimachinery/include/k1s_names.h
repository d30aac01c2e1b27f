/* The shapes of Kubernetes names, as k8s.io/apimachinery/pkg/util/
 * validation defines them by regular expressions. Each checks the shape
 * alone, over s[0..n); lengths and the wording of errors are the caller's
 * (selectors and admission word them differently, as kube-apiserver does). */
#ifndef K1S_NAMES_H
#define K1S_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define K1S_DNS1123_LABEL_MAX 63
#define K1S_DNS1123_SUBDOMAIN_MAX 253
#define K1S_QUALIFIED_NAME_MAX 63	/* the name part, and a label value */

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? */
bool k1s_is_dns1123_label(const char *s, size_t n);
/* A label, then (\.label)* */
bool k1s_is_dns1123_subdomain(const char *s, size_t n);
/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]: the name part of a qualified
 * name, and a non-empty label value */
bool k1s_is_qualified_name(const char *s, size_t n);
/* [-._a-zA-Z0-9]+: a ConfigMap or Secret key */
bool k1s_is_config_key(const char *s, size_t n);

#endif
